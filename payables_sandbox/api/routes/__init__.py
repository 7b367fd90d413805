"""The payables API's routes, one module per resource, and the Link pages (`link`)."""
