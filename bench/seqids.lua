-- wrk script: like ../shared/bench-floor/gqlids.lua, but "__ID__" takes the lines of $IDS in order,
-- each once (for mutations that work once per order, such as cancelOrder). Run it with -t1.
local f = assert(io.open(os.getenv("BODY"), "r")); local tmpl = f:read("*a"); f:close()
local ids = {}; for l in io.lines(os.getenv("IDS")) do if #l > 0 then table.insert(ids, l) end end
local next_id = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local tok = os.getenv("TOKEN"); if tok and tok ~= "" then wrk.headers["Authorization"] = "Bearer " .. tok end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) errors = 0; responses = 0; bytes = 0 end
function request()
  next_id = next_id + 1
  if next_id > #ids then io.stderr:write("seqids: out of ids\n"); next_id = 1 end
  return wrk.format(nil, nil, nil, (tmpl:gsub("__ID__", ids[next_id])))
end
function response(status, headers, body)
  responses = responses + 1; bytes = bytes + #body
  if status ~= 200 or body:find('"errors"', 1, true) or body:find('Error"', 1, true) then
    errors = errors + 1
    if errors == 1 then io.stderr:write("first error: ", status, " ", body:sub(1, 300), "\n") end
  end
end
function done(summary, latency, requests)
  local e, r, b = 0, 0, 0
  for _, t in ipairs(threads) do e = e + t:get("errors"); r = r + t:get("responses"); b = b + t:get("bytes") end
  io.write(string.format("RESULT req/s=%.1f p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms checked=%d errors=%d avg_body=%dB\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, r, e, r > 0 and math.floor(b / r) or 0))
end
