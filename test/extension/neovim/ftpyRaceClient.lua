-- Drives the ftpy race language server from Neovim's built-in LSP client, headless, the way a
-- user's config would (vim.lsp.start_client + buf_attach_client, Neovim 0.7+), and writes what
-- it saw to $FTPY_OUT as JSON for test/extension/neovim.test.ts to check:
--   1. the race in the open racy file, as a diagnostic (line, message, related information);
--   2. the quick fixes offered, through Neovim's own code action UI (vim.ui.select answered
--      here), and "Suppress" applied: the buffer line gets the comment, the diagnostic goes;
--   3. a result file written later (as a later `ftpy race --json` run would) is picked up;
--   4. stopping the client: shutdown, exit, and the server's exit code.
local env = vim.env
local out = { nvim = tostring(vim.version().major) .. '.' .. tostring(vim.version().minor) }

local function finish(err)
  if err then
    out.error = tostring(err)
  end
  local f = assert(io.open(env.FTPY_OUT, 'w'))
  f:write(vim.fn.json_encode(out))
  f:close()
  vim.cmd(err and 'cquit 1' or 'qall!')
end

local function race_diagnostics(bufnr)
  return vim.tbl_filter(function(d)
    return d.source == 'ftpy-race'
  end, vim.diagnostic.get(bufnr))
end

local ok, err = xpcall(function()
  local exit_code
  local client_id = vim.lsp.start_client({
    name = 'ftpy-race',
    cmd = { env.FTPY_NODE, env.FTPY_SERVER, '--stdio' },
    root_dir = env.FTPY_WORKSPACE,
    on_exit = function(code)
      exit_code = code
    end,
  })
  assert(client_id, 'vim.lsp.start_client returned nil')

  -- 1. The racy file: its race arrives as a diagnostic.
  vim.cmd('edit ' .. vim.fn.fnameescape(env.FTPY_RACY))
  local buf = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(buf, client_id)
  assert(vim.wait(30000, function()
    return #race_diagnostics(buf) > 0
  end, 20), 'no ftpy-race diagnostic in the racy file')
  local d = race_diagnostics(buf)[1]
  local lsp = (d.user_data or {}).lsp or {}
  out.diagnostic = {
    lnum = d.lnum,
    col = d.col,
    severity = d.severity,
    message = d.message,
    code = d.code,
    related = lsp.relatedInformation or vim.NIL,
  }
  local client = vim.lsp.get_client_by_id(client_id)
  local caps = client.server_capabilities or client.resolved_capabilities
  out.codeActionProvider = caps.codeActionProvider or vim.NIL

  -- 2. The quick fixes, through vim.lsp.buf.code_action() and vim.ui.select, as a user picks one.
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
  local titles
  vim.ui.select = function(items, opts, on_choice)
    titles = {}
    local pick
    for i, item in ipairs(items) do
      local title = opts.format_item(item)
      table.insert(titles, title)
      if title:find('Suppress', 1, true) then
        pick = i
      end
    end
    on_choice(pick and items[pick] or nil, pick)
  end
  vim.lsp.buf.code_action()
  assert(vim.wait(15000, function()
    return titles ~= nil
  end, 20), 'no code actions were offered')
  out.actions = titles
  local function line()
    return vim.api.nvim_buf_get_lines(buf, d.lnum, d.lnum + 1, false)[1]
  end
  assert(vim.wait(15000, function()
    return line():find('# ftpy: ignore-race', 1, true) ~= nil
  end, 20), 'the suppression was not applied: ' .. line())
  out.suppressed_line = line()
  assert(vim.wait(15000, function()
    return #race_diagnostics(buf) == 0
  end, 20), 'the race diagnostic stayed after the edit')

  -- 3. A later run's result file (Neovim 0.7 cannot watch files for the server: the server watches).
  assert(os.rename(env.FTPY_LATER_STAGED, env.FTPY_LATER_FILE))
  local later
  assert(vim.wait(30000, function()
    for _, x in ipairs(vim.diagnostic.get()) do
      if x.source == 'ftpy-race' and vim.api.nvim_buf_get_name(x.bufnr) == env.FTPY_LATER_RACY then
        later = x
        return true
      end
    end
    return false
  end, 20), 'the result file written later was not picked up')
  out.later = { lnum = later.lnum, message = later.message }

  -- 4. Stop: shutdown, then exit.
  vim.lsp.stop_client(client_id)
  assert(vim.wait(15000, function()
    return exit_code ~= nil
  end, 20), 'the server did not exit after shutdown')
  out.exit_code = exit_code
end, debug.traceback)

finish(not ok and err or nil)
