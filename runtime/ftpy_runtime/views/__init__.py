"""DAP-shaped views: program state turned into what the Debug Adapter Protocol shows.

``variables``    variables and their handles (``variablesReference``), paged;
``stacks``       threads, stack traces and scopes;
``evaluate``     evaluate, setVariable and completions (run on a parked thread by the agent);
``model_views``  the free-threaded object model as rows: object header, Ownership, Locks;
``data_targets`` which place a Variables row names, for a data breakpoint (dataBreakpointInfo).

May import: ``user_code``, ``objectmodel``, ``world``.  Not the debugger or the agent.
"""
