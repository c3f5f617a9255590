-- Health of every kind of the gdpr.amber.dev group: GDPRWorkload, AuditLedger, BreakGlass and
-- Quarantine. The kinds follow kstatus (sigs.k8s.io/cli-utils/pkg/kstatus): status.observedGeneration
-- says which spec the status describes; Ready is always present; Reconciling is True only while
-- work is in progress and Stalled True only on a failure that needs a person, each removed
-- otherwise. So one script serves the whole group.
-- argocd-cm scripts run without Lua's standard libraries unless useOpenLibs is set: this
-- script calls no function of the string library (or any other), only ipairs and the .. operator.
local hs = {}
local generation = obj.metadata.generation
if generation ~= nil then
  local observed = nil
  if obj.status ~= nil then
    observed = obj.status.observedGeneration
  end
  if observed == nil or observed < generation then
    hs.status = "Progressing"
    hs.message = "waiting for the controller to observe generation " .. generation
    return hs
  end
end

local ready = nil
local reconciling = nil
local stalled = nil
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "Ready" then
      ready = condition
    elseif condition.type == "Reconciling" then
      reconciling = condition
    elseif condition.type == "Stalled" then
      stalled = condition
    end
  end
end

if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = stalled.message
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = reconciling.message
  return hs
end
if ready ~= nil then
  hs.status = "Progressing"
  hs.message = ready.message
  return hs
end
hs.status = "Progressing"
hs.message = "waiting for the controller to report the Ready condition"
return hs
