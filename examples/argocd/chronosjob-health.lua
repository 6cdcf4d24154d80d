-- Argo CD health check for chronos.dev/ChronosJob (chronos-operator, docs/argocd.md).
-- Argo CD runs it with the live object in `obj`; it returns {status = ..., message = ...}.
-- Written for Argo CD's embedded Lua (5.1): only `ipairs`, `tostring` and the `..` operator, no
-- standard library such as `string`, which Argo CD opens only with useOpenLibs.
-- It judges only what the operator wrote in status; it never reads run Jobs or the clock.

local hs = {status = "Healthy", message = ""}

local function condition(status, kind)
  if status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function explain(c)
  if c.message ~= nil and c.message ~= "" then
    return tostring(c.reason) .. ": " .. c.message
  end
  return tostring(c.reason)
end

local function join(parts)
  local text = ""
  for _, part in ipairs(parts) do
    if text ~= "" then
      text = text .. "; "
    end
    text = text .. part
  end
  return text
end

local spec = obj.spec or {}
local status = obj.status
local generation = (obj.metadata or {}).generation

-- Nothing the operator wrote describes the current spec yet: a new object, an edit not yet
-- acted on, or no operator watching this namespace.
if status == nil or status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "waiting for chronos-operator to act on the job"
  return hs
end
if generation ~= nil and status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "waiting for chronos-operator to act on generation " .. tostring(generation)
    .. " (last acted on " .. tostring(status.observedGeneration) .. ")"
  return hs
end

-- The operator refuses the spec (invalid schedule, unknown zone, policy, dependency cycle...):
-- nothing runs until the manifest changes.
local degraded = condition(status, "Degraded")
if degraded ~= nil and degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = explain(degraded)
  return hs
end
local ready = condition(status, "Ready")
if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = explain(ready)
  return hs
end

if spec.disabled == true then
  hs.status = "Suspended"
  hs.message = "disabled: nothing runs until spec.disabled is false"
  return hs
end

-- A parent that does not exist (yet): the operator waits for it, it is no error of this job.
local parents = condition(status, "ParentsReady")
if parents ~= nil and parents.status == "False" then
  hs.status = "Progressing"
  hs.message = explain(parents)
  return hs
end

local parts = {}
if status.state ~= nil and status.state ~= "idle" then
  parts[#parts + 1] = status.state
end
if status.lastStatus == "failure" then
  -- As Chronos' UI showed it red: the last run failed after all its retries. The next
  -- success makes the job Healthy again.
  hs.status = "Degraded"
  parts[#parts + 1] = "last run failed at " .. tostring(status.lastError)
  if status.errorsSinceLastSuccess ~= nil and status.errorsSinceLastSuccess > 1 then
    parts[#parts + 1] = tostring(status.errorsSinceLastSuccess) .. " failures since the last success"
  end
elseif status.lastStatus == "success" then
  parts[#parts + 1] = "last run succeeded at " .. tostring(status.lastSuccess)
else
  parts[#parts + 1] = "no run finished yet"
end

local exhausted = condition(status, "Exhausted")
if exhausted ~= nil and exhausted.status == "True" then
  parts[#parts + 1] = "finished: " .. tostring(exhausted.message)
elseif status.nextRunTime ~= nil then
  parts[#parts + 1] = "next run at " .. status.nextRunTime
elseif spec.parents ~= nil then
  parts[#parts + 1] = "runs after its parents"
end
if status.skippedCount ~= nil and status.skippedCount > 0 then
  parts[#parts + 1] = tostring(status.skippedCount) .. " occurrence(s) skipped"
end
hs.message = join(parts)
return hs
