"""The debugger proper: what happens when a traced thread reaches a line, a function or a raise.

``core``           ``Debugger``: the tracing hooks, stops, stepping, exceptions, deadlock reports;
``breakpoints``    the breakpoint table: line, conditional, hit-count, logpoint and function
                   breakpoints, bound to code objects (and re-bound when new code appears);
``code_registry``  which code objects exist for a file, including modules imported later;
``stepping``       when a step in, over or out is finished;
``databreakpoints`` data breakpoints: a sys.monitoring tool of their own on the store sites.

May import: ``user_code``, ``objectmodel``, ``tracing``, ``world``.  Not ``views`` or
``agent``: the debugger reports through the ``send_event`` callable it is given.
"""
