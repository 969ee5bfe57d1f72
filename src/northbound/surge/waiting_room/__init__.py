"""A fair virtual waiting room: one line, signed passes, a closed-loop inlet.

Wiring (see the module docs for details): the room reads its capacity from the admission
control *behind* its gate, which counts the load of the people the room let in by their pass::

    admission = AdmissionControl.from_settings(settings.admission, metric_namespace="example")
    room = WaitingRoom.from_settings(settings.waiting_room, site_secret=..., redis_url=...,
                                     capacity=admission.limiter,
                                     metric_namespace="example")  # example_room_* figures
    app = AdmissionControlMiddleware(app, **admission.options(site_name="Example"))
    app = WaitingRoomMiddleware(app, room=room, exempt_prefixes=["/static/", "/healthz", ...],
                                site_name="Example", cookie_prefix="ex_",
                                tool_links={"en": "/en/tools/", "fr": "/fr/outils/"})
    # lifespan: await room.start() ... await room.stop()
    # admin: mount build_admin_app(room, authorize) at /api/v1/admin/room
"""

from .admin import Authorize, any_of, bearer_authorizer, build_admin_app
from .config import WaitingRoomSettings
from .memory_store import InProcessStore
from .middleware import SCOPE_KEY, WaitingRoomMiddleware
from .room import Admitted, Waiting, WaitingRoom, WaitView
from .store import Controls, RoomState, RoomStore
from .tokens import Claims, KeyRing, Kind, PassRefused, PassSigner

__all__ = [
    "SCOPE_KEY",
    "Admitted",
    "Authorize",
    "Claims",
    "Controls",
    "InProcessStore",
    "KeyRing",
    "Kind",
    "PassRefused",
    "PassSigner",
    "RoomState",
    "RoomStore",
    "WaitView",
    "Waiting",
    "WaitingRoom",
    "WaitingRoomMiddleware",
    "WaitingRoomSettings",
    "any_of",
    "bearer_authorizer",
    "build_admin_app",
]
