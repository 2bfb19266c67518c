"""The use cases behind :class:`~leadcore.Session`: one module per session attribute.

Each public method is one unit of work: it loads the acting user, checks their
permissions, reads the clock once, writes through the storage protocols and
records its events in the same commit, or writes nothing.

- :mod:`leadcore.services.users`: ``s.users``;
- :mod:`leadcore.services.partners`: ``s.partners``;
- :mod:`leadcore.services.workflow`: ``s.workflow``;
- :mod:`leadcore.services.leads`: ``s.leads``;
- :mod:`leadcore.services.reports`: ``s.reports``;
- :mod:`leadcore.services.forwarding`: ``s.deliveries``, ``s.routing`` and forwarding;
- :mod:`leadcore.services.dispatch`: ``s.dispatch``;
- :mod:`leadcore.services.calendar`: ``s.calendar``;
- :mod:`leadcore.services.outbox`: ``core.events``, the outbox reader and subscribers.

Services depend on the pure domain packages and on :mod:`leadcore.storage.protocols`,
never on a storage adapter.
"""
