"""Need to know: the one place that decides who may see and do what.

`visibility` holds what a caller may see, as SQL predicates that every route, list, search, feed,
webhook and adapter composes into its queries (anything else answers 404, so not even existence
leaks), and who is told of a change. `rules` holds what a caller may do beyond seeing: steer a case,
change an involvement, triage a signal, edit the directory. Services call these; none writes its own.
"""
