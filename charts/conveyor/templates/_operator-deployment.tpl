{{/*
One operator Deployment: the default shard (shard "") or the shard of one key in .Values.shards.
A shard's Deployment, Lease and pods carry its key; its selector adds conveyor.dev/shard. The
default Deployment's selector stays as it always was (selectors are immutable), so it also
matches shard pods: harmless, a ReplicaSet adopts only pods that no other controller owns.
Called with (dict "root" $ "shard" KEY).
*/}}
{{- define "conveyor.operatorDeployment" -}}
{{- $root := .root }}
{{- $shard := .shard }}
{{- $name := include "conveyor.fullname" $root }}
{{- if $shard }}
{{- $name = printf "%s-shard-%s" $name $shard }}
{{- if gt (len $name) 63 }}
{{- fail (printf "shards: the Deployment name %q is longer than 63 characters; use a shorter shard key or fullnameOverride" $name) }}
{{- end }}
{{- end }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "conveyor.labels" $root | nindent 4 }}
    {{- with $shard }}
    conveyor.dev/shard: {{ . }}
    {{- end }}
spec:
  replicas: {{ $root.Values.replicaCount }}
  {{- if not $root.Values.leaderElection.enabled }}
  # Without leader election two operators must never overlap: stop the old pod first.
  strategy:
    type: Recreate
  {{- end }}
  selector:
    matchLabels:
      {{- include "conveyor.selectorLabels" $root | nindent 6 }}
      {{- with $shard }}
      conveyor.dev/shard: {{ . }}
      {{- end }}
  template:
    metadata:
      labels:
        {{- include "conveyor.selectorLabels" $root | nindent 8 }}
        app.kubernetes.io/component: operator
        {{- with $shard }}
        conveyor.dev/shard: {{ . }}
        {{- end }}
        {{- if $root.Values.webhooks.enabled }}
        # Which Deployment (shard) a pod belongs to: its webhook Service selects only its pods,
        # since a shard receives the deliveries of its own Pipelines only.
        conveyor.dev/deployment: {{ $name }}
        {{- end }}
        {{- with $root.Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $root.Values.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ include "conveyor.serviceAccountName" $root }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      # The "restricted" Pod Security Standard.
      securityContext:
        runAsNonRoot: true
        {{- if not (kindIs "invalid" $root.Values.runAsUser) }}
        runAsUser: {{ $root.Values.runAsUser }}
        runAsGroup: {{ $root.Values.runAsUser }}
        {{- end }}
        seccompProfile:
          type: RuntimeDefault
      # Finish in-flight reconciles on SIGTERM (the operator drains its queue, then exits).
      terminationGracePeriodSeconds: 30
      containers:
        - name: operator
          image: {{ include "conveyor.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args:
            - --health-host=0.0.0.0
            - --health-port=8081
            - --workers={{ $root.Values.workers }}
            - --log-level={{ $root.Values.logLevel }}
            - --resync-seconds={{ $root.Values.resyncSeconds }}
            - --events={{ $root.Values.events }}
            {{- with $root.Values.watchNamespaces }}
            - --namespaces={{ join "," . }}
            {{- end }}
            {{- with $shard }}
            - --shard-key={{ . }}
            {{- end }}
            {{- include "conveyor.notifyArgs" $root | trim | nindent 12 }}
            {{- if $root.Values.leaderElection.enabled }}
            - --leader-elect
            - --leader-election-namespace={{ $root.Release.Namespace }}
            - --leader-election-id={{ include "conveyor.leaseName" (dict "root" $root "shard" $shard) }}
            {{- end }}
            {{- if $root.Values.webhooks.enabled }}
            - --webhook-address=0.0.0.0:{{ $root.Values.webhooks.port }}
            - --webhook-rate-limit={{ $root.Values.webhooks.rateLimit }}
            - --webhook-pipeline-rate-limit={{ $root.Values.webhooks.pipelineRateLimit }}
            {{- end }}
          env:
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            {{- with $root.Values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: http
              containerPort: 8081
              protocol: TCP
            {{- if $root.Values.webhooks.enabled }}
            - name: webhook
              containerPort: {{ $root.Values.webhooks.port }}
              protocol: TCP
            {{- end }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            initialDelaySeconds: 5
            periodSeconds: 10
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            periodSeconds: 5
            failureThreshold: 3
          {{- with $root.Values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            {{- if not (kindIs "invalid" $root.Values.runAsUser) }}
            runAsUser: {{ $root.Values.runAsUser }}
            runAsGroup: {{ $root.Values.runAsUser }}
            {{- end }}
            capabilities:
              drop: ["ALL"]
            seccompProfile:
              type: RuntimeDefault
          volumeMounts:
            # The only writable path: Node and its libraries may write temporary files here.
            - name: tmp
              mountPath: /tmp
            {{- if $root.Values.openlineage.tokenSecret }}
            - name: openlineage-token
              mountPath: {{ include "conveyor.openlineageTokenDir" $root }}
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- with $root.Values.openlineage.tokenSecret }}
        # The kubelet mounts it (and updates it when the Secret changes): no Secret rights needed.
        - name: openlineage-token
          secret:
            secretName: {{ . }}
            items:
              - key: {{ $root.Values.openlineage.tokenSecretKey }}
                path: token
        {{- end }}
      {{- with $root.Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}

{{/* The Lease of a shard: leaderElection.id, and -KEY for a shard (the operator's own default). */}}
{{- define "conveyor.leaseName" -}}
{{- if .shard }}
{{- printf "%s-%s" .root.Values.leaderElection.id .shard }}
{{- else }}
{{- .root.Values.leaderElection.id }}
{{- end }}
{{- end }}

{{/* Where the OpenLineage token Secret is mounted. */}}
{{- define "conveyor.openlineageTokenDir" -}}
/var/run/secrets/conveyor/openlineage
{{- end }}

{{/* The lifecycle notification flags (docs/integrations.md); none when nothing is set. */}}
{{- define "conveyor.notifyArgs" -}}
{{- $v := .Values }}
{{- if and $v.openlineage.tokenSecret (not $v.openlineage.url) }}
{{- fail "openlineage.tokenSecret needs openlineage.url (the token is sent only there)" }}
{{- end }}
- {{ printf "--notify-queue-size=%v" (int $v.notifyQueueSize) | quote }}
{{- with $v.cloudevents.sink }}
- {{ printf "--cloudevents-sink=%s" . | quote }}
{{- end }}
{{- with $v.cloudevents.allowedSinks }}
- {{ printf "--cloudevents-allowed-sinks=%s" (join "," .) | quote }}
{{- end }}
{{- with $v.openlineage.url }}
- {{ printf "--openlineage-url=%s" . | quote }}
- {{ printf "--openlineage-namespace=%s" $v.openlineage.namespace | quote }}
{{- end }}
{{- if $v.openlineage.tokenSecret }}
- {{ printf "--openlineage-token-file=%s/token" (include "conveyor.openlineageTokenDir" .) | quote }}
{{- end }}
{{- end }}
