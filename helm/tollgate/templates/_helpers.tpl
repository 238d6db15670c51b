{{/*
The six services and what the chart must know about each that is not a tunable: its values key,
the port its config defaults to, whether it owns tables today, and the path prefixes it serves
(docs: ARCHITECTURE.md). A service that gains tables sets ownsTables here.
*/}}
{{- define "tollgate.catalog" -}}
gateway:
  key: gateway
  port: 8080
  ownsTables: false
  paths: [/v1, /api/v1/gateway]
guardrails:
  key: guardrails
  port: 8081
  ownsTables: true
  paths: [/api/v1/governance]
cost-ledger:
  key: costLedger
  port: 8082
  ownsTables: true
  paths: [/api/v1/cost-logs, /api/v1/costs, /api/v1/budgets, /api/v1/pricing]
similarity:
  key: similarity
  port: 8083
  ownsTables: false
  paths: [/api/v1/similarity-logs, /api/v1/similarity]
trace-api:
  key: traceApi
  port: 8084
  ownsTables: false
  paths: [/api/v1/traces, /api/v1/telemetry, /ui]
recovery:
  key: recovery
  port: 8085
  ownsTables: false
  paths: [/api/v1/recovery]
{{- end }}

{{/* Service names in a fixed order (dict keys would come out sorted anyway; this says it). */}}
{{- define "tollgate.serviceNames" -}}
[gateway, guardrails, cost-ledger, similarity, trace-api, recovery]
{{- end }}

{{/*
Completes a context dict (root, name) with meta (the catalog entry), svc (the service's values),
component (resource name) and the resolved settings every template needs. Mutates the dict; prints nothing.
*/}}
{{- define "tollgate.resolve" -}}
{{- $root := .root -}}
{{- $meta := index (include "tollgate.catalog" $root | fromYaml) .name -}}
{{- $svc := index $root.Values $meta.key -}}
{{- $g := $root.Values.global -}}
{{- $_ := set . "meta" $meta -}}
{{- $_ := set . "svc" $svc -}}
{{- $_ := set . "key" $meta.key -}}
{{- $_ := set . "component" (printf "%s-%s" (include "tollgate.fullname" $root) .name | trunc 63 | trimSuffix "-") -}}
{{- $_ := set . "sampler" (default $g.otel.sampler $svc.otel.sampler) -}}
{{- $arg := $g.otel.samplerArg -}}
{{- $argFrom := "global.otel.samplerArg" -}}
{{- if not (kindIs "invalid" $svc.otel.samplerArg) -}}
{{- $arg = $svc.otel.samplerArg -}}
{{- $argFrom = printf "%s.otel.samplerArg" $meta.key -}}
{{- end -}}
{{- $_ := set . "samplerArg" $arg -}}
{{- $_ := set . "samplerArgFrom" $argFrom -}}
{{- $_ := set . "tag" (default (default $root.Chart.AppVersion $g.image.tag) $svc.image.tag | toString) -}}
{{- $redis := false -}}
{{- if and $svc.redis.enabled (or $g.redis.existingSecret $g.redis.url) }}{{ $redis = true }}{{ end -}}
{{- $_ := set . "redis" $redis -}}
{{- end }}

{{- define "tollgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tollgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tollgate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every resource; `.` is the root context. */}}
{{- define "tollgate.labels" -}}
helm.sh/chart: {{ include "tollgate.chart" . }}
app.kubernetes.io/name: {{ include "tollgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tollgate
{{- end }}

{{/* Selector labels of one service; `.` is a resolved context. */}}
{{- define "tollgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tollgate.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "tollgate.componentLabels" -}}
{{ include "tollgate.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "tollgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tollgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tollgate.image" -}}
{{- $g := .root.Values.global.image -}}
{{- $repository := default $g.repository .svc.image.repository -}}
{{- $ref := ternary (printf "%s/%s" $g.registry $repository) $repository (ne $g.registry "") -}}
{{- if $g.digest -}}
{{- printf "%s@%s" $ref $g.digest -}}
{{- else -}}
{{- printf "%s:%s" $ref .tag -}}
{{- end -}}
{{- end }}

{{/* Seconds Kubernetes waits after SIGTERM: the app's own drain, the preStop sleep, and a margin. */}}
{{- define "tollgate.terminationGracePeriodSeconds" -}}
{{- $g := .Values.global -}}
{{- add (div (add (int $g.shutdownTimeoutMs) 999) 1000) (int $g.preStopSleepSeconds) 5 -}}
{{- end }}

{{/*
OTEL_RESOURCE_ATTRIBUTES: the pod's identity from the downward API (the K8S_* variables defined
before it), the version, region and environment, then the global and per-service extras.
*/}}
{{- define "tollgate.resourceAttributes" -}}
{{- $g := .root.Values.global -}}
{{- $attrs := list
  (printf "service.version=%s" .tag)
  "k8s.namespace.name=$(K8S_NAMESPACE_NAME)"
  "k8s.pod.name=$(K8S_POD_NAME)"
  "k8s.pod.uid=$(K8S_POD_UID)"
  "k8s.node.name=$(K8S_NODE_NAME)"
  (printf "k8s.deployment.name=%s" .component)
  (printf "k8s.container.name=%s" .name) -}}
{{- if $g.residency.region }}{{ $attrs = append $attrs (printf "cloud.region=%s" $g.residency.region) }}{{ end -}}
{{- if $g.environment }}{{ $attrs = append $attrs (printf "deployment.environment.name=%s" $g.environment) }}{{ end -}}
{{- $extra := merge (deepCopy .svc.otel.resourceAttributes) $g.otel.resourceAttributes -}}
{{- range $k := keys $extra | sortAlpha }}{{ $attrs = append $attrs (printf "%s=%v" $k (index $extra $k)) }}{{ end -}}
{{- join "," $attrs -}}
{{- end }}

{{- define "tollgate.kafkaCaDir" -}}
/etc/tollgate/kafka-ca
{{- end }}

{{/* An env entry from a Secret key: (name, secret, key). */}}
{{- define "tollgate.secretEnv" -}}
{{- dict "name" (index . 0) "valueFrom" (dict "secretKeyRef" (dict "name" (index . 1) "key" (index . 2))) | toJson -}}
{{- end }}

{{/*
The container environment the chart sets for one service (not the user's env/extraEnv), as a YAML
list. Every name here is read by the service's config schema (services/<name>/src/config), by the
telemetry SDK (OTEL_*, LANGFUSE_*), by Node (NODE_EXTRA_CA_CERTS), by the image's entry point (TOLLGATE_SERVICE), or feeds
OTEL_RESOURCE_ATTRIBUTES (K8S_*); the chart tests hold it to that.
*/}}
{{- define "tollgate.env" -}}
{{- $g := .root.Values.global -}}
{{- $svc := .svc -}}
{{- $env := list -}}
{{- $add := list
  (list "TOLLGATE_SERVICE" .name)
  (list "PORT" (int .meta.port))
  (list "LOG_LEVEL" (default $g.logLevel $svc.logLevel))
  (list "TOLLGATE_SHUTDOWN_TIMEOUT_MS" (int $g.shutdownTimeoutMs))
  (list "TOLLGATE_MAX_BODY_BYTES" (int $g.maxBodyBytes))
  (list "TOLLGATE_HTTP_KEEP_ALIVE_TIMEOUT_MS" (int $g.httpKeepAliveTimeoutMs))
  (list "TOLLGATE_BUS" "kafka")
  (list "KAFKA_BROKERS" (join "," $g.kafka.brokers))
  (list "KAFKA_CLIENT_ID" (printf "tollgate-%s" .name))
  (list "KAFKA_SSL" $g.kafka.tls.enabled)
  (list "KAFKA_LINGER_MS" (int $g.kafka.lingerMs)) -}}
{{- range $add }}{{ $env = append $env (dict "name" (index . 0) "value" (index . 1 | toString)) }}{{ end -}}
{{- if and $g.kafka.tls.enabled $g.kafka.tls.caSecret }}
{{- /* Node adds these to its trusted CAs at start-up, so kafkajs' TLS verifies a private cluster CA. */}}
{{- $env = append $env (dict "name" "NODE_EXTRA_CA_CERTS" "value" (printf "%s/%s" (include "tollgate.kafkaCaDir" .) $g.kafka.tls.caKey)) }}
{{- end }}
{{- with $g.kafka.sasl }}
{{- if .mechanism }}
{{- $env = append $env (dict "name" "KAFKA_SASL_MECHANISM" "value" .mechanism) }}
{{- if .usernameKey }}
{{- $env = append $env (include "tollgate.secretEnv" (list "KAFKA_SASL_USERNAME" .existingSecret .usernameKey) | fromJson) }}
{{- else }}
{{- $env = append $env (dict "name" "KAFKA_SASL_USERNAME" "value" .username) }}
{{- end }}
{{- $env = append $env (include "tollgate.secretEnv" (list "KAFKA_SASL_PASSWORD" .existingSecret .passwordKey) | fromJson) }}
{{- end }}
{{- end }}
{{- if $svc.database.enabled }}
{{- $env = append $env (include "tollgate.secretEnv" (list "DATABASE_URL" (default $g.database.existingSecret $svc.database.existingSecret) (default $g.database.urlKey $svc.database.urlKey)) | fromJson) }}
{{- $pool := ternary $g.database.poolSize $svc.database.poolSize (kindIs "invalid" $svc.database.poolSize) }}
{{- $env = append $env (dict "name" "DATABASE_POOL_SIZE" "value" (int $pool | toString)) }}
{{- end }}
{{- if .redis }}
{{- if $g.redis.existingSecret }}
{{- $env = append $env (include "tollgate.secretEnv" (list "REDIS_URL" $g.redis.existingSecret $g.redis.urlKey) | fromJson) }}
{{- else }}
{{- $env = append $env (dict "name" "REDIS_URL" "value" $g.redis.url) }}
{{- end }}
{{- end }}
{{- with $svc.nodeFlags }}
{{- $env = append $env (dict "name" "TOLLGATE_NODE_FLAGS" "value" .) }}
{{- end }}
{{- if eq .name "gateway" }}
{{- $env = append $env (dict "name" "TOLLGATE_PROVIDER_TIMEOUT_MS" "value" (int $svc.providerTimeoutMs | toString)) }}
{{- $env = append $env (dict "name" "TOLLGATE_MOCK_LATENCY_MS" "value" (int $svc.mockLatencyMs | toString)) }}
{{- $env = append $env (dict "name" "TOLLGATE_BUDGET_FAIL_MODE" "value" $svc.budgets.failMode) }}
{{- $env = append $env (dict "name" "TOLLGATE_BUDGET_DEFAULT_MAX_OUTPUT_TOKENS" "value" (int $svc.budgets.defaultMaxOutputTokens | toString)) }}
{{- end }}
{{- if eq .name "cost-ledger" }}
{{- $env = append $env (dict "name" "TOLLGATE_LEDGER_CONCURRENCY" "value" (int $svc.ledger.concurrency | toString)) }}
{{- $env = append $env (dict "name" "TOLLGATE_LEDGER_BATCH_SIZE" "value" (int $svc.ledger.batchSize | toString)) }}
{{- end }}
{{- if eq .name "guardrails" }}
{{- $env = append $env (dict "name" "TOLLGATE_BOOTSTRAP_TENANT" "value" $svc.bootstrap.tenant) }}
{{- if $svc.bootstrap.existingSecret }}
{{- $env = append $env (include "tollgate.secretEnv" (list "TOLLGATE_BOOTSTRAP_KEY" $svc.bootstrap.existingSecret $svc.bootstrap.keyKey) | fromJson) }}
{{- end }}
{{- end }}
{{- /* The pod's identity from the downward API, referenced as $(K8S_...) in OTEL_RESOURCE_ATTRIBUTES below. */ -}}
{{- range $field := list (list "K8S_NAMESPACE_NAME" "metadata.namespace") (list "K8S_POD_NAME" "metadata.name") (list "K8S_POD_UID" "metadata.uid") (list "K8S_NODE_NAME" "spec.nodeName") }}
{{- $env = append $env (dict "name" (index $field 0) "valueFrom" (dict "fieldRef" (dict "fieldPath" (index $field 1)))) }}
{{- end }}
{{- $env = append $env (dict "name" "OTEL_SERVICE_NAME" "value" (printf "tollgate-%s" .name)) }}
{{- $env = append $env (dict "name" "OTEL_RESOURCE_ATTRIBUTES" "value" (include "tollgate.resourceAttributes" .)) }}
{{- $env = append $env (dict "name" "OTEL_TRACES_SAMPLER" "value" .sampler) }}
{{- if hasSuffix "traceidratio" .sampler }}
{{- $env = append $env (dict "name" "OTEL_TRACES_SAMPLER_ARG" "value" (toString .samplerArg)) }}
{{- end }}
{{- if $g.otel.endpoint }}
{{- $env = append $env (dict "name" "OTEL_EXPORTER_OTLP_ENDPOINT" "value" $g.otel.endpoint) }}
{{- $env = append $env (dict "name" "OTEL_EXPORTER_OTLP_PROTOCOL" "value" $g.otel.protocol) }}
{{- end }}
{{- with $g.langfuse }}
{{- if .enabled }}
{{- $env = append $env (dict "name" "LANGFUSE_BASE_URL" "value" .baseUrl) }}
{{- $env = append $env (include "tollgate.secretEnv" (list "LANGFUSE_PUBLIC_KEY" .existingSecret .publicKeyKey) | fromJson) }}
{{- $env = append $env (include "tollgate.secretEnv" (list "LANGFUSE_SECRET_KEY" .existingSecret .secretKeyKey) | fromJson) }}
{{- end }}
{{- end }}
{{- with $g.rudderstack }}
{{- if .enabled }}
{{- $env = append $env (dict "name" "RUDDERSTACK_DATA_PLANE_URL" "value" .dataPlaneUrl) }}
{{- $env = append $env (include "tollgate.secretEnv" (list "RUDDERSTACK_WRITE_KEY" .existingSecret .writeKeyKey) | fromJson) }}
{{- end }}
{{- end }}
{{- toYaml $env }}
{{- end }}

{{/* The user's own variables, as a YAML list: the `env` map (sorted), then `extraEnv` entries. */}}
{{- define "tollgate.userEnv" -}}
{{- $env := list -}}
{{- range $k := keys .svc.env | sortAlpha }}
{{- $env = append $env (dict "name" $k "value" (index $.svc.env $k | toString)) }}
{{- end }}
{{- toYaml (concat $env .svc.extraEnv) }}
{{- end }}
