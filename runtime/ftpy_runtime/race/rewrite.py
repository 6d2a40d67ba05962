"""Rewrite a module's AST so that its memory accesses report themselves.

This is the race detector's instrumentation, in the manner of pytest's assertion
rewriting: the import hook parses a user module, this transformer edits the tree, and the
result is compiled with the module's own filename.  Every new node carries the location of
the node it wraps, so line numbers, tracebacks and their carets stay as they were.

The hooks are tiny and return their first argument, so an access keeps its shape::

    self.count += 1        ->  _ftpy_a(self, SITE).count += 1
    d[k] = v               ->  _ftpy_k(d, SITE, k)[k] = v
    x = cache[key()]       ->  x = _ftpy_k(cache, SITE, (_ftpy_t0 := key()))[_ftpy_t0]
    for item in items:     ->  for item in _ftpy_h(items, SITE):
    k in seen              ->  k in _ftpy_k(seen, SITE, k)
    counter  (a global)    ->  (_ftpy_h(True, SITE) and counter)

`SITE` is an int constant naming the access (kind, field, line, function); see sites.py.
``_ftpy_a``, ``_ftpy_h`` and ``_ftpy_k`` stand for ``HOLDER.a`` (attributes), ``HOLDER.h``
(the other unkeyed accesses) and ``HOLDER.k`` (keyed ones): HOLDER is the per-thread hook
holder (hooks.HookHolder; each thread gets its own closures, so the hot path touches
nothing shared), put into the code objects as a *constant* when a module is loaded
(`link`): the program sees no new global, local or builtin name (``globals()``,
``locals()``, ``dir()`` and ``types.FunctionType(code, {})`` work as without the detector),
and no prologue statement adds a ``sys.settrace`` line event.  Compiled and cached code holds
the placeholder string HOLDER_PLACEHOLDER there instead.
"""

from __future__ import annotations

import ast
import importlib.util
import symtable
from typing import Any, Optional

from . import containers as C
from . import sites as S
from .redundant import redundant_attributes, trackable_locals

HOOK_MODULE = "ftpy_runtime.race.hooks"
# Stands for the hook holder in compiled (and cached, marshalled) code until `link`.
HOLDER_PLACEHOLDER = "\0ftpy-race-hook-holder\0"


def _holder(at: ast.AST) -> ast.expr:
    return ast.copy_location(ast.Constant(HOLDER_PLACEHOLDER), at)


def link(code: Any, holder: Any) -> Any:
    """`code` (and the code objects nested in it) with the hook holder in place of HOLDER_PLACEHOLDER."""
    consts = code.co_consts
    new = tuple(holder if (type(c) is str and c == HOLDER_PLACEHOLDER)
                else link(c, holder) if hasattr(c, "co_consts") else c for c in consts)
    if all(a is b for a, b in zip(new, consts)):
        return code
    return code.replace(co_consts=new)

# Container methods whose receiver the detector wants to see (it checks the receiver's
# type at run time; on other objects these are ordinary calls and are ignored).  The
# table of what each one does is containers.py.
CONTAINER_METHODS = C.CONTAINER_METHODS
KEYED_METHODS = C.KEYED_METHODS
# Builtins that read every element of their (first, or every) positional argument.
ITERATING_BUILTINS = frozenset({
    "list", "tuple", "sorted", "set", "frozenset", "dict", "sum", "min", "max", "any",
    "all", "enumerate", "reversed", "iter", "zip", "map", "filter", "bytes", "bytearray",
})
ALL_ARGS_BUILTINS = frozenset({"zip"})
# Every access reaches its hook through the holder constant: no prologue binding locals.
HOLDER_ONLY = True
_ATTR_KINDS = frozenset({S.ATTR_R, S.ATTR_W, S.ATTR_RW, S.ATTR_D})
_CONTAINER_KINDS = frozenset({S.ITER, S.METHOD, S.CONTAINS})


def _is_generator(node: ast.AST) -> bool:
    """True when a function body yields or awaits (not counting nested scopes)."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await)):
            return True
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.GeneratorExp)):
            continue
        stack.extend(ast.iter_child_nodes(n))
    return False


def _simple_key(node: ast.expr) -> bool:
    """Keys that can be evaluated twice without side effects."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return True
    return False


class _Scope:
    def __init__(self, kind: str, qualname: str, table: Optional[symtable.SymbolTable],
                 fast: bool) -> None:
        self.kind = kind              # module | class | function | lambda | genexpr
        self.qualname = qualname
        self.table = table
        self.fast = fast              # hooks bound as locals by a prologue
        self.used = False             # emitted a hook through the prologue's locals
        self.cells: dict[str, str] = {}   # tracked cell name -> token variable
        self.comprehension_depth = 0
        # ids of this function's attribute nodes whose access an earlier one covers
        # (redundant.py): they get no hook.
        self.redundant: set[int] = set()


class _Analysis:
    """What the rewriter needs to know before it starts: scopes and mutable names."""

    def __init__(self, tree: ast.Module, source: str, path: str) -> None:
        self.top: Optional[symtable.SymbolTable]
        try:
            self.top = symtable.symtable(source, path, "exec")
        except (SyntaxError, ValueError):  # pragma: no cover - compile would fail too
            self.top = None
        self.module_imports: set[str] = set()
        self.mutable_globals: set[str] = set()
        self._assign_counts: dict[str, int] = {}
        self._scan_module(tree)
        # tracked cells: id of binder function table -> {name: token var}
        self.cells: dict[int, dict[str, str]] = {}
        self._unused: dict[int, list[symtable.SymbolTable]] = {}
        if self.top is not None:
            self._find_globals(self.top)
            self._find_cells(self.top, [])

    # Module-level names --------------------------------------------------------------
    def _count(self, name: str, n: int = 1) -> None:
        self._assign_counts[name] = self._assign_counts.get(name, 0) + n

    def _scan_module(self, tree: ast.Module) -> None:
        def targets(t: ast.AST, weight: int) -> None:
            for n in ast.walk(t):
                if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                    self._count(n.id, weight)

        def visit(stmts: list[ast.stmt], weight: int) -> None:
            for st in stmts:
                if isinstance(st, (ast.Import, ast.ImportFrom)):
                    for a in st.names:
                        self.module_imports.add((a.asname or a.name).split(".")[0])
                elif isinstance(st, ast.Assign):
                    for t in st.targets:
                        targets(t, weight)
                elif isinstance(st, (ast.AugAssign, ast.Delete)):
                    for t in (st.targets if isinstance(st, ast.Delete) else [st.target]):
                        targets(t, 2)
                elif isinstance(st, ast.AnnAssign) and st.value is not None:
                    targets(st.target, weight)
                elif isinstance(st, (ast.For, ast.AsyncFor)):
                    targets(st.target, 2)
                    visit(st.body, 2)
                    visit(st.orelse, 2)
                elif isinstance(st, ast.While):
                    visit(st.body, 2)
                    visit(st.orelse, 2)
                elif isinstance(st, ast.If):
                    visit(st.body, weight)
                    visit(st.orelse, weight)
                elif isinstance(st, (ast.With, ast.AsyncWith)):
                    for item in st.items:
                        if item.optional_vars is not None:
                            targets(item.optional_vars, weight)
                    visit(st.body, weight)
                elif isinstance(st, (ast.Try, ast.TryStar)):
                    visit(st.body, weight)
                    for h in st.handlers:
                        visit(h.body, weight)
                    visit(st.orelse, weight)
                    visit(st.finalbody, weight)
        visit(tree.body, 1)
        for name, n in self._assign_counts.items():
            if n >= 2:
                self.mutable_globals.add(name)
        self.module_imports -= self.mutable_globals

    def _find_globals(self, table: symtable.SymbolTable) -> None:
        for child in table.get_children():
            if child.get_type() != "module":
                for sym in child.get_symbols():
                    if sym.is_declared_global() and sym.is_assigned():
                        self.mutable_globals.add(sym.get_name())
            self._find_globals(child)
        self.module_imports -= self.mutable_globals

    # Closure cells written through `nonlocal` ----------------------------------------
    def _find_cells(self, table: symtable.SymbolTable, chain: list[symtable.SymbolTable]) -> None:
        for sym in table.get_symbols():
            if table.get_type() == "function" and sym.is_nonlocal():
                for outer in reversed(chain):
                    if outer.get_type() != "function":
                        continue
                    try:
                        osym = outer.lookup(sym.get_name())
                    except KeyError:
                        continue
                    if osym.is_local() and not osym.is_free():
                        token = f"_ftpy_c{outer.get_lineno()}_{outer.get_id() % 100000}"
                        self.cells.setdefault(outer.get_id(), {})[sym.get_name()] = token
                        break
        for child in table.get_children():
            self._find_cells(child, chain + [table])

    def child_table(self, parent: Optional[symtable.SymbolTable], name: str,
                    lineno: int) -> Optional[symtable.SymbolTable]:
        if parent is None:
            return None
        key = parent.get_id()
        if key not in self._unused:
            self._unused[key] = list(parent.get_children())
        pool = self._unused[key]
        for i, t in enumerate(pool):
            if t.get_name() == name and t.get_lineno() == lineno:
                return pool.pop(i)
        return None


class Rewriter(ast.NodeTransformer):
    """Adds race hooks to one module's tree.  `sites` lists what was added, in id order."""

    def __init__(self, source: str, path: str, tree: ast.Module) -> None:
        self.path = path
        self.base = S.module_base(path)
        self.sites: list[tuple[int, str, int, str]] = []
        self.site_index: dict[tuple[int, str, int, str], int] = {}
        self.analysis = _Analysis(tree, source, path)
        self.scopes: list[_Scope] = []
        self.temps = 0
        self.no_walrus = 0    # > 0 inside a comprehension's iterable, where := is not allowed

    # Helpers -------------------------------------------------------------------------
    @property
    def scope(self) -> _Scope:
        return self.scopes[-1]

    def site(self, kind: int, name: str, node: ast.AST) -> ast.Constant:
        entry = (kind, name, getattr(node, "lineno", 0), self.scope.qualname)
        # Accesses that a report could not tell apart (`self.x < 0 or self.x > 100`) share
        # one id: the hooks' per-epoch dedup then logs the second one only after a
        # synchronisation, as the detector would have merged it anyway.
        index = self.site_index.get(entry)
        if index is None:
            index = len(self.sites)
            if index >= (1 << S.INDEX_BITS):
                raise OverflowError("too many access sites in one module")
            self.sites.append(entry)
            self.site_index[entry] = index
        return ast.Constant(self.base | index)

    def hook(self, which: str, node: ast.AST) -> ast.expr:
        """The expression that names hook `which` ('a' or 'k') in the current scope."""
        sc = self.scope
        if sc.fast:
            sc.used = True
            return ast.copy_location(ast.Name(f"_ftpy_{which}", ast.Load()), node)
        # Generator expressions inside a fast function may reach its locals too.
        for outer in reversed(self.scopes[:-1]):
            if sc.kind != "genexpr":
                break
            if outer.kind == "genexpr":
                continue
            if outer.fast:
                outer.used = True
                return ast.copy_location(ast.Name(f"_ftpy_{which}", ast.Load()), node)
            break
        return ast.copy_location(ast.Attribute(_holder(node), which, ast.Load()), node)

    def call(self, which: str, args: list[ast.expr], at: ast.AST) -> ast.Call:
        fn = self.hook(which, at)
        if self.scope.fast:
            # The activation number from the prologue: the hook captures the call stack
            # once per activation, so every outer frame of a report is exact.
            args = [*args, ast.copy_location(ast.Name("_ftpy_n", ast.Load()), at)]
        c = ast.Call(fn, args, [])
        return ast.copy_location(c, at)

    def record(self, obj: ast.expr, kind: int, name: str, at: ast.AST) -> ast.Call:
        # Attributes go to `a`, the other unkeyed accesses (iterations, container methods,
        # globals: mostly objects without weak references, or unchecked ones) to `h`: each
        # tries first what its objects usually are (threadlog, the hit path); both are
        # exact for any object.  A prologue binds `a` only.
        # Iterations, `in` and container methods go to `m` (`mk` keyed): the detector counts
        # them only on containers, and `m` drops the rest before any lookup.
        which = "a" if kind in _ATTR_KINDS or self.scope.fast else "m" if kind in _CONTAINER_KINDS else "h"
        return self.call(which, [obj, self.site(kind, name, at)], at)

    def walrus_ok(self) -> bool:
        sc = self.scope
        return sc.kind in ("function", "lambda", "module") and sc.comprehension_depth == 0 \
            and self.no_walrus == 0

    def _keyed_hook(self, kind: int) -> str:
        # (A prologue binds `a` and `k` only.)
        return "mk" if kind in _CONTAINER_KINDS and not self.scope.fast else "k"

    def keyed(self, obj: ast.expr, key: ast.expr, raw_key: ast.expr, kind: int, name: str,
              at: ast.AST) -> tuple[ast.expr, ast.expr]:
        """Record `obj` with `key`; returns (receiver expression, key expression to use)."""
        if _simple_key(raw_key):
            dup = ast.copy_location(_clone_load(raw_key), raw_key)
            return self.call(self._keyed_hook(kind), [obj, self.site(kind, name, at), dup], at), key
        if self.walrus_ok():
            tmp = f"_ftpy_t{self.temps}"
            self.temps += 1
            bind = ast.copy_location(ast.NamedExpr(ast.Name(tmp, ast.Store()), key), key)
            rec = self.call(self._keyed_hook(kind), [obj, self.site(kind, name, at), bind], at)
            return rec, ast.copy_location(ast.Name(tmp, ast.Load()), key)
        return self.record(obj, kind, name, at), key

    # Names: globals and cells --------------------------------------------------------
    def name_target(self, name: str) -> Optional[ast.expr]:
        """The object standing for variable `name` if its accesses are tracked, else None."""
        sc = self.scope
        table = sc.table
        if name.startswith("_ftpy_"):
            return None
        if sc.kind == "module":
            return ast.Constant(True) if name in self.analysis.mutable_globals else None
        if table is None:
            return None
        try:
            sym = table.lookup(name)
        except KeyError:
            return None
        if sym.is_global() or (sc.kind == "class" and not sym.is_local() and not sym.is_free()):
            return ast.Constant(True) if name in self.analysis.mutable_globals else None
        if sc.kind == "class":
            return None
        if sym.is_local() and not sym.is_free() and name in sc.cells:
            return ast.Name(sc.cells[name], ast.Load())
        if sym.is_free():
            for outer in reversed(self.scopes[:-1]):
                if outer.kind == "class":
                    continue
                if name in outer.cells:
                    return ast.Name(outer.cells[name], ast.Load())
                if outer.table is not None:
                    try:
                        osym = outer.table.lookup(name)
                    except KeyError:
                        continue
                    if osym.is_local() and not osym.is_free():
                        return None
        return None

    def visit_Name(self, node: ast.Name) -> Any:
        if isinstance(node.ctx, ast.Load):
            obj = self.name_target(node.id)
            if obj is not None:
                ast.copy_location(obj, node)
                rec = self.record(obj, S.NAME_R, node.id, node)
                return ast.copy_location(ast.BoolOp(ast.And(), [rec, node]), node)
        return node

    def _name_writes(self, targets: list[ast.expr], kind: int, at: ast.stmt) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
                    obj = self.name_target(n.id)
                    if obj is not None:
                        ast.copy_location(obj, at)
                        rec = self.record(obj, kind, n.id, at)
                        out.append(ast.copy_location(ast.Expr(rec), at))
        return out

    # Statements ----------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> Any:
        post = self._name_writes(node.targets, S.NAME_W, node)
        self.generic_visit(node)
        return [node, *post] if post else node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> Any:
        post = self._name_writes([node.target], S.NAME_W, node) if node.value is not None else []
        node.target = self.visit(node.target)
        if node.value is not None:
            node.value = self.visit(node.value)
        return [node, *post] if post else node

    # Annotations, type aliases and match patterns are left as they are: they are not
    # accesses to shared data, and some of them only accept names and attributes.
    def visit_arguments(self, node: ast.arguments) -> Any:
        node.defaults = [self.visit(d) for d in node.defaults]
        node.kw_defaults = [self.visit(d) if d is not None else None for d in node.kw_defaults]
        return node

    def visit_TypeAlias(self, node: ast.AST) -> Any:
        return node

    def visit_match_case(self, node: ast.match_case) -> Any:
        if node.guard is not None:
            node.guard = self.visit(node.guard)
        node.body = self._visit_block(node.body)
        return node

    def visit_Delete(self, node: ast.Delete) -> Any:
        post = self._name_writes(node.targets, S.NAME_D, node)
        self.generic_visit(node)
        return [node, *post] if post else node

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        target = node.target
        node.value = self.visit(node.value)
        if isinstance(target, ast.Name):
            post = self._name_writes([target], S.NAME_RW, node)
            pre = self._inplace(target, node)
            return [*pre, node, *post] if pre or post else node
        if isinstance(target, ast.Attribute):
            target.value = self.visit(target.value)
            if self._receiver_tracked(target.value) and id(target) not in self.scope.redundant:
                target.value = self.record(target.value, S.ATTR_RW, target.attr, target)
        elif isinstance(target, ast.Subscript):
            self._subscript(target, S.SUB_RW)
        return node

    def _inplace(self, target: ast.Name, node: ast.AugAssign) -> list[ast.stmt]:
        """`x += y` on a container changes it in place (list.__iadd__, set.__ior__, ...):
        log x, as the method the operator calls, before the statement runs.  Not for a
        constant operand (`n += 1`, `s += "."`): no container takes one in place."""
        method = C.INPLACE_OPS.get(type(node.op).__name__)
        if method is None or target.id.startswith("_ftpy_") or self.scope.kind == "class" \
                or isinstance(node.value, ast.Constant):
            return []
        value = ast.copy_location(ast.Name(target.id, ast.Load()), target)
        rec = self.record(value, S.METHOD, method, node)
        return [ast.copy_location(ast.Expr(rec), node)]

    # Expressions ---------------------------------------------------------------------
    def _receiver_tracked(self, value: ast.expr) -> bool:
        if isinstance(value, ast.Constant):
            # A literal (" ".join, b"x".hex, (1).bit_length): immutable, nothing to check;
            # not even True, which stands for the module's globals in the log.
            return False
        if isinstance(value, ast.Name) and value.id in self.analysis.module_imports:
            sc = self.scope
            if sc.kind == "module" or sc.table is None:
                return False
            try:
                return not sc.table.lookup(value.id).is_global()
            except KeyError:
                return False
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super":
            return False
        return True

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        kind = {ast.Load: S.ATTR_R, ast.Store: S.ATTR_W, ast.Del: S.ATTR_D}[type(node.ctx)]
        raw = node.value
        node.value = self.visit(node.value)
        if self._receiver_tracked(raw) and id(node) not in self.scope.redundant:
            node.value = self.record(node.value, kind, node.attr, node)
        return node

    def _subscript(self, node: ast.Subscript, kind: int) -> None:
        raw_key = node.slice
        if isinstance(node.value, ast.Constant):    # "abc"[i]: immutable
            node.slice = self.visit(node.slice)
            return
        node.value = self.visit(node.value)
        key = self.visit(node.slice)
        if isinstance(raw_key, (ast.Slice, ast.Starred)) or (
                isinstance(raw_key, ast.Tuple) and any(isinstance(e, (ast.Slice, ast.Starred)) for e in raw_key.elts)):
            node.value = self.record(node.value, kind, "", node)
            node.slice = key
            return
        node.value, node.slice = self.keyed(node.value, key, raw_key, kind, "", node)

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        kind = {ast.Load: S.SUB_R, ast.Store: S.SUB_W, ast.Del: S.SUB_D}[type(node.ctx)]
        self._subscript(node, kind)
        return node

    def visit_Call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.ctx, ast.Load):
            raw_recv = func.value
            func.value = self.visit(func.value)
            node.args = [self.visit(a) for a in node.args]
            node.keywords = [self.visit(k) for k in node.keywords]
            if func.attr in CONTAINER_METHODS and self._receiver_tracked(raw_recv) and not _fresh(raw_recv):
                if (func.attr in KEYED_METHODS and node.args
                        and not isinstance(node.args[0], ast.Starred) and _simple_key(node.args[0])):
                    func.value = self.call(self._keyed_hook(S.METHOD), [func.value, self.site(S.METHOD, func.attr, func),
                                                 ast.copy_location(_clone_load(node.args[0]), node.args[0])], func)
                else:
                    func.value = self.record(func.value, S.METHOD, func.attr, func)
            return node
        self.generic_visit(node)
        if isinstance(func, ast.Name) and func.id in ITERATING_BUILTINS:
            last = len(node.args) if func.id in ALL_ARGS_BUILTINS else min(len(node.args), 1)
            if func.id in ("map", "filter"):
                rng = range(1, len(node.args))
            else:
                rng = range(0, last)
            for i in rng:
                a = node.args[i]
                if not isinstance(a, ast.Starred) and not _fresh(a):
                    node.args[i] = self.record(a, S.ITER, func.id, a)
        return node

    def visit_Compare(self, node: ast.Compare) -> Any:
        raw_left = node.left
        self.generic_visit(node)
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)):
            container = node.comparators[0]
            if _simple_key(raw_left):
                node.comparators[0] = self.call(
                    self._keyed_hook(S.CONTAINS), [container, self.site(S.CONTAINS, "", node),
                          ast.copy_location(_clone_load(raw_left), raw_left)], node)
            elif self.walrus_ok():
                tmp = f"_ftpy_t{self.temps}"
                self.temps += 1
                node.left = ast.copy_location(ast.NamedExpr(ast.Name(tmp, ast.Store()), node.left), node.left)
                node.comparators[0] = self.call(
                    self._keyed_hook(S.CONTAINS), [container, self.site(S.CONTAINS, "", node),
                          ast.copy_location(ast.Name(tmp, ast.Load()), raw_left)], node)
        return node

    def _visit_loop_iter(self, node: ast.For | ast.comprehension) -> None:
        fresh = _fresh(node.iter)
        node.iter = self.visit(node.iter)
        if not fresh:
            node.iter = self.record(node.iter, S.ITER, "for", node.iter)

    def visit_With(self, node: ast.With) -> Any:
        """``with name.attr:`` reads the attribute, then calls the value's __enter__: hook w
        is told both (``w(name.attr, name, SITE)``; `name` read twice is the same object),
        so that when the value is a lock of ours the read can be decided by its __enter__
        (threadlog, hook w).  Other items are visited as usual."""
        for item in node.items:
            e = item.context_expr
            # (A receiver whose own read is tracked, a global or a cell, is not read twice.)
            if (isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and not self.scope.fast
                    and not e.value.id.startswith("_ftpy_") and self.name_target(e.value.id) is None
                    and self._receiver_tracked(e.value) and id(e) not in self.scope.redundant):
                again = ast.copy_location(ast.Name(e.value.id, ast.Load()), e.value)
                item.context_expr = self.call("w", [e, again, self.site(S.ATTR_R, e.attr, e)], e)
            else:
                item.context_expr = self.visit(e)
            if item.optional_vars is not None:
                item.optional_vars = self.visit(item.optional_vars)
        node.body = self._visit_block(node.body)
        return node

    def visit_For(self, node: ast.For) -> Any:
        post = self._name_writes([node.target], S.NAME_W, node)
        self._visit_loop_iter(node)
        node.target = self.visit(node.target)
        node.body = self._visit_block(node.body)
        if post:
            node.body = post + node.body
        node.orelse = self._visit_block(node.orelse)
        return node

    def _visit_block(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for s in stmts:
            r = self.visit(s)
            if r is None:
                continue
            out.extend(r if isinstance(r, list) else [r])
        return out

    # Comprehensions ------------------------------------------------------------------
    def _comprehension(self, node: ast.AST, elts: list[str], own_scope: bool) -> Any:
        gens: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        # The first iterable is evaluated in the enclosing scope (but := is not allowed there).
        first_iter = gens[0].iter
        self.no_walrus += 1
        try:
            gens[0].iter = self.visit(gens[0].iter)
        finally:
            self.no_walrus -= 1
        if not _fresh(first_iter):
            gens[0].iter = self.record(gens[0].iter, S.ITER, "for", gens[0].iter)
        pushed = False
        if own_scope:
            parent = self.scope
            table = self.analysis.child_table(parent.table, "genexpr", node.lineno)  # type: ignore[attr-defined]
            self.scopes.append(_Scope("genexpr", _child_qualname(parent, "<genexpr>"), table, False))
            pushed = True
        self.scope.comprehension_depth += 1
        try:
            for i, g in enumerate(gens):
                g.target = self.visit(g.target)
                if i:
                    fresh = _fresh(g.iter)
                    g.iter = self.visit(g.iter)
                    if not fresh:
                        g.iter = self.record(g.iter, S.ITER, "for", g.iter)
                g.ifs = [self.visit(x) for x in g.ifs]
            for e in elts:
                setattr(node, e, self.visit(getattr(node, e)))
        finally:
            self.scope.comprehension_depth -= 1
            if pushed:
                self.scopes.pop()
        return node

    def visit_ListComp(self, node: ast.ListComp) -> Any:
        return self._comprehension(node, ["elt"], False)

    def visit_SetComp(self, node: ast.SetComp) -> Any:
        return self._comprehension(node, ["elt"], False)

    def visit_DictComp(self, node: ast.DictComp) -> Any:
        return self._comprehension(node, ["key", "value"], False)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> Any:
        return self._comprehension(node, ["elt"], True)

    # Scopes --------------------------------------------------------------------------
    def visit_Module(self, node: ast.Module) -> Any:
        self.scopes.append(_Scope("module", "<module>", self.analysis.top, False))
        node.body = self._visit_block(node.body)
        self.scopes.pop()
        insert_at = 0
        if node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) \
                and isinstance(node.body[0].value.value, str):
            insert_at = 1
        while insert_at < len(node.body) and isinstance(node.body[insert_at], ast.ImportFrom) \
                and node.body[insert_at].module == "__future__":
            insert_at += 1
        anchor = node.body[insert_at] if insert_at < len(node.body) else None
        prelude: list[ast.stmt] = [
            ast.Expr(ast.Call(ast.Attribute(ast.Constant(HOLDER_PLACEHOLDER), "reg", ast.Load()),
                              [ast.Constant(self.path), ast.Constant(tuple(self.sites))], [])),
        ]
        for p in prelude:
            if anchor is not None:
                ast.copy_location(p, anchor)
                p.end_lineno = p.lineno  # type: ignore[attr-defined]
                p.end_col_offset = p.col_offset  # type: ignore[attr-defined]
            else:
                p.lineno, p.col_offset, p.end_lineno, p.end_col_offset = 1, 0, 1, 0  # type: ignore[attr-defined]
        node.body[insert_at:insert_at] = prelude
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        self.no_walrus += 1   # := is not allowed in the bases of a generic class
        try:
            node.decorator_list = [self.visit(d) for d in node.decorator_list]
            node.bases = [self.visit(b) for b in node.bases]
            node.keywords = [self.visit(k) for k in node.keywords]
        finally:
            self.no_walrus -= 1
        parent = self.scope
        table = self.analysis.child_table(parent.table, node.name, node.lineno)
        qual = _child_qualname(parent, node.name)
        self.scopes.append(_Scope("class", qual, table, False))
        node.body = self._visit_block(node.body)
        self.scopes.pop()
        return node

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> Any:
        self.no_walrus += 1
        try:
            node.args = self.visit(node.args)
            if not isinstance(node, ast.Lambda):
                node.decorator_list = [self.visit(d) for d in node.decorator_list]
        finally:
            self.no_walrus -= 1
        parent = self.scope
        name = "lambda" if isinstance(node, ast.Lambda) else node.name
        table = self.analysis.child_table(parent.table, name, node.lineno)
        qual = _child_qualname(parent, name if name != "lambda" else "<lambda>")
        if isinstance(node, ast.Lambda):
            sc = _Scope("lambda", qual, table, False)
        else:
            fast = isinstance(node, ast.FunctionDef) and not _is_generator(node) and not HOLDER_ONLY
            sc = _Scope("function", qual, table, fast)
            sc.redundant = redundant_attributes(node, trackable_locals(table))
        if table is not None:
            sc.cells = dict(self.analysis.cells.get(table.get_id(), {}))
        self.scopes.append(sc)
        try:
            if isinstance(node, ast.Lambda):
                node.body = self.visit(node.body)
                return node
            node.body = self._visit_block(node.body)
        finally:
            self.scopes.pop()
        prologue: list[ast.stmt] = []
        if sc.used:
            prologue.append(ast.Assign(
                [ast.Tuple([ast.Name("_ftpy_a", ast.Store()), ast.Name("_ftpy_k", ast.Store()),
                            ast.Name("_ftpy_n", ast.Store())], ast.Store())],
                ast.Attribute(ast.Constant(HOLDER_PLACEHOLDER), "akc", ast.Load())))
            prologue.append(ast.Assign([ast.Name("_ftpy_n", ast.Store())],
                                       ast.Call(ast.Name("_ftpy_n", ast.Load()), [], [])))
        for token in sc.cells.values():
            prologue.append(ast.Assign([ast.Name(token, ast.Store())], ast.Call(
                ast.Attribute(ast.Constant(HOLDER_PLACEHOLDER), "tok", ast.Load()), [], [])))
        if prologue:
            body = node.body
            at = 1 if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                       and isinstance(body[0].value.value, str)) else 0
            # Declarations make no code; anchor on the first statement that does.
            real = [st for st in body[at:] if not isinstance(st, (ast.Global, ast.Nonlocal))]
            anchor = real[0] if real else body[-1]
            for p in prologue:
                ast.copy_location(p, anchor)
                for n in ast.walk(p):
                    ast.copy_location(n, anchor)
            body[at:at] = prologue
        return node

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function
    visit_Lambda = _function


def _child_qualname(parent: _Scope, name: str) -> str:
    """The co_qualname Python gives a scope named `name` inside `parent`, so that a report's
    innermost frame (named from the site) and the captured frames agree."""
    if parent.kind == "module":
        return name
    if parent.kind == "class":
        return f"{parent.qualname}.{name}"
    return f"{parent.qualname}.<locals>.{name}"


_DISPLAYS = (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.ListComp, ast.SetComp, ast.DictComp,
             ast.GeneratorExp, ast.Constant, ast.JoinedStr)


def _fresh(node: ast.expr) -> bool:
    """A display or comprehension: a new object no other thread can see yet, so iterating
    it cannot race; not logging it also keeps the log from holding what it holds."""
    return isinstance(node, _DISPLAYS)


def _clone_load(node: ast.expr) -> ast.expr:
    """A fresh copy of a simple key expression, as a load."""
    if isinstance(node, ast.Name):
        return ast.Name(node.id, ast.Load())
    if isinstance(node, ast.Constant):
        return ast.Constant(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return ast.UnaryOp(ast.USub(), ast.Constant(node.operand.value))
    raise TypeError(node)


def rewrite_tree(tree: ast.Module, source: str, path: str) -> ast.Module:
    """Instrument `tree` (parsed from `source` at `path`) in place and return it."""
    rw = Rewriter(source, path, tree)
    rw.visit(tree)
    ast.fix_missing_locations(tree)
    return tree


def rewrite_source(source: str | bytes, path: str) -> Any:
    """Compile `source` with race hooks, or return None when it does not compile.

    The caller then compiles the original source itself, so that a syntax error is
    raised exactly as Python would raise it for the file.  A rewriter bug on valid source
    costs only the instrumentation: the plain compile succeeds.
    """
    try:
        text = importlib.util.decode_source(source) if isinstance(source, bytes) else source
        tree = ast.parse(source, path)
    except Exception:
        return None
    try:
        rewrite_tree(tree, text, path)
        return compile(tree, path, "exec", dont_inherit=True)
    except Exception:
        try:
            return compile(source, path, "exec", dont_inherit=True)
        except Exception:
            return None
