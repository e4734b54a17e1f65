"""The contract every layer shares, at the bottom of tether: it imports only `tether.errors`.

    resource.py     what a resource is (Resource, Actuator): what the session layer stops
    properties.py   what a resource says about itself (MotorProperties, BaseProperties)
    checks.py       which values a command may carry (InvalidCommand names the bad one)
    address.py      how a daemon address is written ('HOST:PORT' or 'unix:PATH')

Drivers, the session layer, the server and the client build on these modules without importing
each other; this package imports none of them, so importing one module loads only that one.
"""
