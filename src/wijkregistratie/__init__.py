"""wijkregistratie: the shared registration for Dutch neighbourhood teams."""

# The full semantic version of the API contract; the major part is the `/v1` in every path.
API_VERSION = "1.0.0"
