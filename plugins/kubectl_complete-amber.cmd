@echo off
rem kubectl >= 1.26 runs kubectl_complete-amber with the words typed after "kubectl amber";
rem the plugin answers as cobra's __complete command (see kubectl_complete-amber).
kubectl-amber.exe __complete %*
