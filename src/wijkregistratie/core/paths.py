"""Path parameters that several domains' routes share."""

import uuid
from typing import Annotated

from fastapi import Path

CaseId = Annotated[uuid.UUID, Path(alias="caseId", description="The case's id.")]
HouseholdId = Annotated[uuid.UUID, Path(alias="householdId", description="The household's id.")]
