{{/*
One definition per resource kind, rendered once per service from templates/<service>/<kind>.yaml
with (dict "root" $ "name" "<service>"): six services, one shape.
*/}}

{{- define "tollgate.deployment" -}}
{{- include "tollgate.resolve" . -}}
{{- if .svc.enabled }}
{{- $root := .root -}}
{{- $g := $root.Values.global -}}
{{- $svc := .svc -}}
{{- $nodeSelector := deepCopy $g.nodeSelector -}}
{{- if eq $g.residency.zone "eu" }}{{ $_ := set $nodeSelector "topology.kubernetes.io/region" $g.residency.region }}{{ end -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .component }}
  labels:
    {{- include "tollgate.componentLabels" . | nindent 4 }}
spec:
  {{- if not $svc.autoscaling.enabled }}
  replicas: {{ $svc.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "tollgate.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "tollgate.componentLabels" . | nindent 8 }}
        {{- if $g.residency.zone }}
        tollgate.io/residency: {{ $g.residency.zone }}
        {{- end }}
        {{- if $g.residency.region }}
        tollgate.io/region: {{ $g.residency.region }}
        {{- end }}
        {{- with $svc.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $svc.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ include "tollgate.serviceAccountName" $root }}
      automountServiceAccountToken: false
      # Service links would inject <SERVICE>_PORT-style variables into the TOLLGATE_* namespace.
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ include "tollgate.terminationGracePeriodSeconds" $root }}
      securityContext:
        runAsNonRoot: true
        # The image's `node` user; numeric so that the kubelet can verify runAsNonRoot.
        runAsUser: 1000
        runAsGroup: 1000
        fsGroup: 1000
        seccompProfile:
          type: RuntimeDefault
      {{- with $g.imagePullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      {{- with $nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $g.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $g.spreadAcrossZones }}
      topologySpreadConstraints:
        {{- range $topologyKey := list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
        - maxSkew: 1
          topologyKey: {{ $topologyKey }}
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "tollgate.selectorLabels" $ | nindent 14 }}
        {{- end }}
      {{- end }}
      containers:
        - name: {{ .name }}
          image: {{ include "tollgate.image" . }}
          imagePullPolicy: {{ $g.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ int .meta.port }}
              protocol: TCP
          env:
            {{- concat (include "tollgate.env" . | fromYamlArray) (include "tollgate.userEnv" . | fromYamlArray) | toYaml | nindent 12 }}
          {{- with $svc.envFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          # Start-up runs migrations (under a Postgres advisory lock) before the process answers.
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 2
            timeoutSeconds: {{ $g.probes.timeoutSeconds }}
            failureThreshold: {{ $g.probes.startupFailureThreshold }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: {{ $g.probes.livenessPeriodSeconds }}
            timeoutSeconds: {{ $g.probes.timeoutSeconds }}
            failureThreshold: {{ $g.probes.livenessFailureThreshold }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            periodSeconds: {{ $g.probes.readinessPeriodSeconds }}
            timeoutSeconds: {{ $g.probes.timeoutSeconds }}
            failureThreshold: {{ $g.probes.readinessFailureThreshold }}
          {{- if gt (int $g.preStopSleepSeconds) 0 }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ $g.preStopSleepSeconds }}
          {{- end }}
          {{- with $svc.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            runAsNonRoot: true
            runAsUser: 1000
            runAsGroup: 1000
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            privileged: false
            capabilities:
              drop: [ALL]
            seccompProfile:
              type: RuntimeDefault
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if and $g.kafka.tls.enabled $g.kafka.tls.caSecret }}
            - name: kafka-ca
              mountPath: {{ include "tollgate.kafkaCaDir" . }}
              readOnly: true
            {{- end }}
      volumes:
        # The root filesystem is read-only; /tmp is the one writable place.
        - name: tmp
          emptyDir:
            sizeLimit: {{ $g.tmpSizeLimit }}
        {{- if and $g.kafka.tls.enabled $g.kafka.tls.caSecret }}
        - name: kafka-ca
          secret:
            secretName: {{ $g.kafka.tls.caSecret }}
            items:
              - key: {{ $g.kafka.tls.caKey }}
                path: {{ $g.kafka.tls.caKey }}
        {{- end }}
{{- end }}
{{- end }}

{{- define "tollgate.service" -}}
{{- include "tollgate.resolve" . -}}
{{- if .svc.enabled }}
{{- $g := .root.Values.global -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .component }}
  labels:
    {{- include "tollgate.componentLabels" . | nindent 4 }}
spec:
  type: {{ $g.service.type }}
  selector:
    {{- include "tollgate.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $g.service.port }}
      targetPort: http
      protocol: TCP
{{- end }}
{{- end }}

{{- define "tollgate.hpa" -}}
{{- include "tollgate.resolve" . -}}
{{- if and .svc.enabled .svc.autoscaling.enabled }}
{{- $a := .svc.autoscaling -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ .component }}
  labels:
    {{- include "tollgate.componentLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ .component }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ $a.maxReplicas }}
  metrics:
    {{- range $resource := list "cpu" "memory" }}
    {{- $target := index $a (printf "target%sUtilizationPercentage" (ternary "CPU" "Memory" (eq $resource "cpu"))) }}
    {{- if not (kindIs "invalid" $target) }}
    - type: Resource
      resource:
        name: {{ $resource }}
        target:
          type: Utilization
          averageUtilization: {{ $target }}
    {{- end }}
    {{- end }}
{{- end }}
{{- end }}

{{- define "tollgate.pdb" -}}
{{- include "tollgate.resolve" . -}}
{{- if and .svc.enabled .svc.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .component }}
  labels:
    {{- include "tollgate.componentLabels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .svc.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "tollgate.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}

{{/* One egress rule as JSON: (rule, protocols); a rule without `to` peers allows any destination on its ports. */}}
{{- define "tollgate.egressRule" -}}
{{- $ports := list -}}
{{- range $port := (index . 0).ports }}{{ range $protocol := index $ 1 }}{{ $ports = append $ports (dict "port" $port "protocol" $protocol) }}{{ end }}{{ end -}}
{{- $rule := dict "ports" $ports -}}
{{- with (index . 0).to }}{{ $_ := set $rule "to" . }}{{ end -}}
{{- toJson $rule -}}
{{- end }}

{{- define "tollgate.networkpolicy" -}}
{{- include "tollgate.resolve" . -}}
{{- $np := .root.Values.networkPolicy -}}
{{- if and .svc.enabled $np.enabled }}
{{- $g := .root.Values.global -}}
{{- $svc := .svc -}}
{{- $from := concat $np.ingressFrom $np.metricsFrom $svc.networkPolicy.extraIngressFrom -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ .component }}
  labels:
    {{- include "tollgate.componentLabels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "tollgate.selectorLabels" . | nindent 6 }}
  policyTypes: [Ingress, Egress]
  {{- if $from }}
  ingress:
    # Only the HTTP port (API, probes, /metrics); services talk to each other over Kafka, not HTTP.
    - ports:
        - port: http
          protocol: TCP
      from:
        {{- toYaml $from | nindent 8 }}
  {{- else }}
  ingress: []
  {{- end }}
  {{- $tcp := list "TCP" }}
  {{- $egress := list (include "tollgate.egressRule" (list $np.egress.dns (list "UDP" "TCP")) | fromJson) }}
  {{- $egress = append $egress (include "tollgate.egressRule" (list $np.egress.kafka $tcp) | fromJson) }}
  {{- if $svc.database.enabled }}
  {{- $egress = append $egress (include "tollgate.egressRule" (list $np.egress.postgres $tcp) | fromJson) }}
  {{- end }}
  {{- if .redis }}
  {{- $egress = append $egress (include "tollgate.egressRule" (list $np.egress.redis $tcp) | fromJson) }}
  {{- end }}
  {{- if $g.otel.endpoint }}
  {{- $egress = append $egress (include "tollgate.egressRule" (list $np.egress.otel $tcp) | fromJson) }}
  {{- end }}
  {{- /* LLM providers (gateway), Langfuse and RudderStack are reached over HTTPS. */}}
  {{- if or (eq .name "gateway") $g.langfuse.enabled $g.rudderstack.enabled }}
  {{- $egress = append $egress (include "tollgate.egressRule" (list $np.egress.https $tcp) | fromJson) }}
  {{- end }}
  egress:
    {{- concat $egress $svc.networkPolicy.extraEgress | toYaml | nindent 4 }}
{{- end }}
{{- end }}

{{- define "tollgate.servicemonitor" -}}
{{- include "tollgate.resolve" . -}}
{{- $sm := .root.Values.metrics.serviceMonitor -}}
{{- if and .svc.enabled $sm.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .component }}
  labels:
    {{- include "tollgate.componentLabels" . | nindent 4 }}
    {{- with $sm.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "tollgate.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: http
      path: /metrics
      interval: {{ $sm.interval }}
      scrapeTimeout: {{ $sm.scrapeTimeout }}
{{- end }}
{{- end }}
