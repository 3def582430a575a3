{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "feedpipe.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; leaves room for a "-enrich" suffix on per-role workloads. */}}
{{- define "feedpipe.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "feedpipe.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "feedpipe.selectorLabels" -}}
app.kubernetes.io/name: {{ include "feedpipe.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "feedpipe.labels" -}}
helm.sh/chart: {{ include "feedpipe.chart" . }}
{{ include "feedpipe.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "feedpipe.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "feedpipe.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "feedpipe.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The workloads to run, as a JSON list of {name, component, configFile, roles, replicas,
resources}:
one for all-in-one, one per enabled role for per-role.
*/}}
{{- define "feedpipe.workloads" -}}
{{- $fullname := include "feedpipe.fullname" . }}
{{- $out := list }}
{{- if eq .Values.topology "all-in-one" }}
{{- $out = append $out (dict "name" $fullname "component" "all-in-one" "configFile" "feedpipe.yaml" "roles" .Values.allInOne.roles "replicas" .Values.allInOne.replicas "resources" .Values.allInOne.resources) }}
{{- else }}
{{- range $role := list "ingest" "dedup" "enrich" }}
{{- $w := index $.Values.perRole $role }}
{{- if $w.enabled }}
{{- $out = append $out (dict "name" (printf "%s-%s" $fullname $role) "component" $role "configFile" (printf "feedpipe-%s.yaml" $role) "roles" (list $role) "replicas" $w.replicas "resources" $w.resources) }}
{{- end }}
{{- end }}
{{- end }}
{{- if not $out }}
{{- fail "no workload to run: enable at least one role in perRole" }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/* librdkafka properties: the user's, plus what sasl and tls imply. */}}
{{- define "feedpipe.librdkafka" -}}
{{- $props := dict }}
{{- $k := .Values.kafka }}
{{- if and $k.sasl.enabled $k.tls.enabled }}
{{- $_ := set $props "security.protocol" "SASL_SSL" }}
{{- else if $k.sasl.enabled }}
{{- $_ := set $props "security.protocol" "SASL_PLAINTEXT" }}
{{- else if $k.tls.enabled }}
{{- $_ := set $props "security.protocol" "SSL" }}
{{- end }}
{{- if $k.sasl.enabled }}
{{- $_ := set $props "sasl.mechanisms" $k.sasl.mechanism }}
{{- $_ := set $props "sasl.username" "${KAFKA_SASL_USERNAME}" }}
{{- $_ := set $props "sasl.password" "${KAFKA_SASL_PASSWORD}" }}
{{- end }}
{{- if $k.tls.enabled }}
{{- $_ := set $props "ssl.ca.location" (printf "/etc/kafka-tls/%s" $k.tls.caKey) }}
{{- if $k.tls.certKey }}
{{- $_ := set $props "ssl.certificate.location" (printf "/etc/kafka-tls/%s" $k.tls.certKey) }}
{{- $_ := set $props "ssl.key.location" (printf "/etc/kafka-tls/%s" $k.tls.keyKey) }}
{{- end }}
{{- end }}
{{- toYaml (mergeOverwrite $props $k.librdkafka) }}
{{- end }}
