"""Attribute accesses whose hook adds nothing: the same field of the same object was reached
earlier on every path to them, with no call in between.

ThreadSanitizer's compiler pass does the same within a basic block (a read followed by a
write to the same address needs no check of its own).  Here, in one function, for receivers
that are its local names (``self``, mostly; not globals or cells, which other code can
rebind), from the access to the next store to the name::

    self.x += self.vx          # x written, vx read: both hooked
    if self.x < 0:             # x read: covered by the write above, no hook
        self.vx = -self.vx     # vx written: hooked (a read does not cover a write);
                               # the read of vx on its right: covered, no hook

Why this is exact enough: a later access L of field f, covered by an earlier one E of the
same thread (E a write, or both reads), with no explicit call, ``await``, ``yield`` or
``with`` between them, is in the same epoch as E unless the program synchronised inside
code that runs implicitly between them (a property or an operator method that takes a lock).
Then an access of another thread that races with L races with E as well, and E is logged:
the race is reported, at E's line.  Dropping L's hook removes a log record, so it can hide a
race (the implicit-synchronisation case) but never make one up: every report stays true.

Anything this walker does not know is treated as a call (everything before it is forgotten),
so new syntax costs hooks, never exactness.
"""

from __future__ import annotations

import ast
import symtable
from typing import Optional

_READ, _WRITE = 1, 2      # what an access covers: a write covers both, a read only reads


def trackable_locals(table: Optional[symtable.SymbolTable]) -> frozenset[str]:
    """Local names (parameters included) of the function `table` describes that only its own
    statements can rebind: not globals, and not cells (a nested function could rebind those
    with ``nonlocal``, from a property, say).  The walker forgets a name at each store."""
    if table is None:
        return frozenset()
    captured: set[str] = set()
    stack = list(table.get_children())
    while stack:
        child = stack.pop()
        stack.extend(child.get_children())
        for sym in child.get_symbols():
            if sym.is_free() or sym.is_nonlocal():
                captured.add(sym.get_name())
    return frozenset(
        sym.get_name() for sym in table.get_symbols()
        if sym.is_local() and not sym.is_global() and not sym.is_free()
        and not sym.is_nonlocal() and sym.get_name() not in captured)


def redundant_attributes(fn: ast.FunctionDef | ast.AsyncFunctionDef,
                         names: frozenset[str]) -> set[int]:
    """ids of the ast.Attribute nodes in `fn`'s own body (not nested scopes) whose access is
    covered by an earlier one (see the module docstring)."""
    if not names:
        return set()
    walker = _Walker(names)
    walker.block(fn.body)
    return walker.covered


class _Walker:
    """Walks statements and expressions in evaluation order, keeping what each (receiver,
    field) was already reached as since the last call."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names
        self.seen: dict[tuple[str, str], int] = {}
        self.covered: set[int] = set()
        self.resets = 0
        self.rebound: list[str] = []    # every rebind so far, in order

    def rebind(self, name: str) -> None:
        """`name` now names another object: what its old one was reached as covers nothing."""
        if name in self.names:
            self.rebound.append(name)
            self.forget(name)

    def forget(self, name: str) -> None:
        self.seen = {k: v for k, v in self.seen.items() if k[0] != name}

    def reset(self) -> None:
        self.seen = {}
        self.resets += 1

    # Conditional code: what it reaches covers later accesses inside it, not after it.
    def conditional(self, nodes: list[ast.expr]) -> None:
        saved, mark = dict(self.seen), self.mark()
        for n in nodes:
            self.expr(n)
        self.seen = saved
        self.join(mark)

    def mark(self) -> tuple[int, int]:
        return self.resets, len(self.rebound)

    def join(self, mark: tuple[int, int]) -> None:
        """After code that may not have run (a branch): forget what it may have reset or
        rebound since `mark`."""
        if self.resets != mark[0]:
            self.reset()
        for name in set(self.rebound[mark[1]:]):
            self.forget(name)

    def access(self, node: ast.Attribute, what: int) -> None:
        recv = node.value
        if not isinstance(recv, ast.Name) or recv.id not in self.names:
            return
        key = (recv.id, node.attr)
        had = self.seen.get(key, 0)
        if had >= what:
            self.covered.add(id(node))
        else:
            self.seen[key] = what

    # Statements -----------------------------------------------------------------------
    def block(self, stmts: list[ast.stmt]) -> None:
        for st in stmts:
            self.stmt(st)

    def stmt(self, st: ast.stmt) -> None:
        if isinstance(st, ast.Expr):
            self.expr(st.value)
        elif isinstance(st, ast.Assign):
            self.expr(st.value)
            for t in st.targets:
                self.target(t)
        elif isinstance(st, ast.AugAssign):
            t = st.target
            if isinstance(t, ast.Name):
                self.expr(st.value)
                self.rebind(t.id)
            else:
                # The hook runs as the target is loaded, before the value is evaluated.
                self.target(t)
                self.expr(st.value)
        elif isinstance(st, ast.AnnAssign):
            if st.value is None:
                return      # an annotation in a function is not evaluated; nothing stored
            self.expr(st.value)
            self.target(st.target)
        elif isinstance(st, ast.Delete):
            for t in st.targets:
                self.target(t)
        elif isinstance(st, (ast.Return, ast.Raise)):
            for e in ((st.value,) if isinstance(st, ast.Return) else (st.exc, st.cause)):
                if e is not None:
                    self.expr(e)
            self.reset()
        elif isinstance(st, (ast.Pass, ast.Global, ast.Nonlocal)):
            pass
        elif isinstance(st, (ast.Break, ast.Continue)):
            self.reset()
        elif isinstance(st, ast.Assert):
            self.expr(st.test)
            if st.msg is not None:
                self.conditional([st.msg])
        elif isinstance(st, ast.If):
            self.expr(st.test)
            after_test, mark = dict(self.seen), self.mark()
            self.block(st.body)
            self.seen = dict(after_test)
            self.block(st.orelse)
            self.seen = after_test
            self.join(mark)
        elif isinstance(st, ast.While):
            # The test runs before every pass of the body, after whatever the last pass did.
            self.reset()
            self.expr(st.test)
            self.block(st.body)
            self.reset()
            self.block(st.orelse)
            self.reset()
        elif isinstance(st, (ast.For, ast.AsyncFor)):
            self.expr(st.iter)
            self.reset()         # each pass calls the iterator's __next__
            self.block(st.body)
            self.reset()
            self.block(st.orelse)
            self.reset()
        elif isinstance(st, (ast.With, ast.AsyncWith)):
            for item in st.items:
                self.expr(item.context_expr)
                self.reset()     # __enter__: acquiring a lock is the usual one
                if item.optional_vars is not None:
                    self.target(item.optional_vars)
            self.block(st.body)
            self.reset()         # __exit__
        elif isinstance(st, (ast.Try, ast.TryStar)):
            self.block(st.body)
            for part in (*[h.body for h in st.handlers], st.orelse, st.finalbody):
                self.reset()
                self.block(part)
            self.reset()
        else:
            # Nested definitions (decorators are calls), imports, match, anything new.
            self.reset()

    def target(self, t: ast.expr) -> None:
        if isinstance(t, ast.Attribute):
            self.expr(t.value)
            self.access(t, _WRITE)
        elif isinstance(t, ast.Subscript):
            self.expr(t.value)
            self.expr(t.slice)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                self.target(e)
        elif isinstance(t, ast.Starred):
            self.target(t.value)
        elif isinstance(t, ast.Name):
            self.rebind(t.id)
        else:
            self.reset()

    # Expressions ----------------------------------------------------------------------
    def expr(self, e: ast.expr) -> None:
        if isinstance(e, (ast.Constant, ast.Name)):
            return
        if isinstance(e, ast.Attribute):
            self.expr(e.value)
            if isinstance(e.ctx, ast.Load):
                self.access(e, _READ)
        elif isinstance(e, ast.Subscript):
            self.expr(e.value)
            self.expr(e.slice)
        elif isinstance(e, ast.Call):
            self.expr(e.func)
            for a in e.args:
                self.expr(a)
            for kw in e.keywords:
                self.expr(kw.value)
            self.reset()
        elif isinstance(e, ast.BinOp):
            self.expr(e.left)
            self.expr(e.right)
        elif isinstance(e, ast.UnaryOp):
            self.expr(e.operand)
        elif isinstance(e, ast.BoolOp):
            self.expr(e.values[0])
            self.conditional(list(e.values[1:]))
        elif isinstance(e, ast.Compare):
            self.expr(e.left)
            self.expr(e.comparators[0])
            self.conditional(list(e.comparators[1:]))
        elif isinstance(e, ast.IfExp):
            self.expr(e.test)
            self.conditional([e.body])
            self.conditional([e.orelse])
        elif isinstance(e, (ast.Tuple, ast.List, ast.Set)):
            for x in e.elts:
                self.expr(x)
        elif isinstance(e, ast.Dict):
            for k, v in zip(e.keys, e.values):
                if k is not None:
                    self.expr(k)
                self.expr(v)
        elif isinstance(e, ast.Starred):
            self.expr(e.value)
        elif isinstance(e, ast.Slice):
            for x in (e.lower, e.upper, e.step):
                if x is not None:
                    self.expr(x)
        elif isinstance(e, ast.JoinedStr):
            for x in e.values:
                self.expr(x)
        elif isinstance(e, ast.FormattedValue):
            self.expr(e.value)
            if e.format_spec is not None:
                self.expr(e.format_spec)
        elif isinstance(e, ast.NamedExpr):
            self.expr(e.value)
            self.target(e.target)
        else:
            # Comprehensions and generator expressions (their own scope, run any number of
            # times), lambdas, await, yield: whatever they reach is left alone, and
            # everything before them forgotten.
            self.reset()
