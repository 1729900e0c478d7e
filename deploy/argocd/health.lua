-- Argo CD health check for conveyor.dev/Pipeline.
--
-- Install it as resource.customizations.health.conveyor.dev_Pipeline in argocd-cm (see
-- deploy/argocd/argocd-cm.yaml). Argo CD runs custom checks without Lua's standard string and
-- math libraries, so this script uses only the base library and the `..` operator.
--
--   status.observedGeneration < metadata.generation   Progressing (the operator has not seen the change)
--   phase Suspended                                    Suspended
--   Stalled=True, phase Failed or Invalid              Degraded, with the condition's message
--   Reconciling=True, phase Pending or Running         Progressing (a scheduled pipeline whose
--                                                      Ready=True stays Healthy during a scheduled run)
--   phase Succeeded or Scheduled, Ready=True           Healthy
local hs = { status = "Progressing", message = "Waiting for the Conveyor operator to report status" }

if obj.status == nil then
  return hs
end

local conditions = {}
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type ~= nil then
      conditions[c.type] = c
    end
  end
end

local function said(c)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return nil
end

local phase = obj.status.phase
local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end

if phase == "Suspended" then
  hs.status = "Suspended"
  hs.message = said(conditions.Ready) or "Pipeline is suspended"
  return hs
end

local stalled = conditions.Stalled
if (stalled ~= nil and stalled.status == "True") or phase == "Failed" or phase == "Invalid" then
  local c = stalled
  if c == nil or c.status ~= "True" then
    c = conditions.Ready
  end
  hs.status = "Degraded"
  local reason = (c ~= nil and c.reason) or phase or "Failed"
  hs.message = reason .. ": " .. (said(c) or "the pipeline failed")
  return hs
end

local reconciling = conditions.Reconciling
if reconciling ~= nil and reconciling.status == "True" then
  hs.message = said(reconciling) or "A run is in progress"
  return hs
end

local ready = conditions.Ready
local scheduled = obj.spec ~= nil and obj.spec.schedule ~= nil and obj.spec.schedule ~= ""
if phase == "Pending" or phase == "Running" then
  if scheduled and ready ~= nil and ready.status == "True" then
    hs.status = "Healthy"
    hs.message = "Scheduled run in progress; " .. (said(ready) or "last run succeeded")
    return hs
  end
  hs.message = said(ready) or ("Pipeline is " .. phase)
  return hs
end

if phase == "Succeeded" or phase == "Scheduled" or (ready ~= nil and ready.status == "True") then
  hs.status = "Healthy"
  hs.message = said(ready) or ("Pipeline is " .. (phase or "ready"))
  return hs
end

if phase ~= nil then
  hs.message = "Pipeline is " .. phase
end
return hs
