{{/*
The chart's name, 63 characters at most.
*/}}
{{- define "amber.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object's name: the release's name when it contains the chart's ("amber"
installs amber-manager-role, as config/default does), else release-amber. Cluster-scoped
objects (roles, CRDs aside) carry it, so two releases never share one.
*/}}
{{- define "amber.fullname" -}}
{{- $name := include "amber.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
Labels on every object the chart's own templates make.
*/}}
{{- define "amber.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{ include "amber.selectorLabels" . }}
{{- end }}

{{/*
The labels that select the manager's pods, for its Deployment and Services.
*/}}
{{- define "amber.selectorLabels" -}}
app.kubernetes.io/name: {{ include "amber.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
control-plane: controller-manager
{{- end }}

{{/*
The manager's ServiceAccount (templates/rbac).
*/}}
{{- define "amber.serviceAccountName" -}}
{{ include "amber.fullname" . }}-controller-manager
{{- end }}

{{/*
The webhook Service, namespace/name, as --webhook-service wants it.
*/}}
{{- define "amber.webhookService" -}}
{{ .Release.Namespace }}/{{ include "amber.fullname" . }}-webhook-service
{{- end }}
