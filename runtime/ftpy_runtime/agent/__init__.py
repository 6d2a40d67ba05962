"""The wire: what the runtime and the debug adapter say to each other, and who says it.

``protocol``    the runtime protocol (message types, commands, events, ``RuntimeOptions``): the
                twin of ``debug-adapter/protocol.ts``, kept in step by ``test/dap/protocol.test.ts``;
``handshake``   the mutual HMAC handshake in front of every connection (twin: ``runtimeConnection.ts``);
``connection``  the JSON-lines socket, and the ``--listen`` side's ``Listener``;
``secretfile``  the ``--listen`` secret file: made exclusively 0600, removed at exit;
``agent``       the runtime's one thread that answers the adapter's requests.

``protocol``, ``handshake``, ``connection`` and ``secretfile`` import nothing else of the runtime.  ``agent`` may import
every layer below it (``debugger``, ``views``, ``world``, ``objectmodel``, ``user_code``).
"""
