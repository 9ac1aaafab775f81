from django.dispatch import Signal

# The app lost a connection to the database server in a way a crash or restart causes: the
# server may have come back with transaction ids it had already handed out. Sent with the
# database alias; visitors.freshness empties its cache on it.
connection_lost = Signal()
