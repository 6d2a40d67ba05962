"""The wire: what the runtime and the debug adapter say to each other, and who says it.

``protocol``    the runtime protocol (message types, commands, events, ``RuntimeOptions``): the
                twin of ``debug-adapter/protocol.ts``, kept in step by ``test/dap/protocol.test.ts``;
``connection``  the JSON-lines socket and the session-secret handshake;
``agent``       the runtime's one thread that answers the adapter's requests.

``protocol`` and ``connection`` import nothing else of the runtime.  ``agent`` may import
every layer below it (``debugger``, ``views``, ``world``, ``objectmodel``, ``user_code``).
"""
