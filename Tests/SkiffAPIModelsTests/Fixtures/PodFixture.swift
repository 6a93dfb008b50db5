// A scheduled Pod with resources, probes, affinity and tolerations, as `kubectl get pod -o json` prints it.
let podJSON = #"""
{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {
    "creationTimestamp": "2025-03-14T09:26:53Z",
    "generateName": "web-7d4b9c8f6d-",
    "labels": {"app": "web", "pod-template-hash": "7d4b9c8f6d"},
    "name": "web-7d4b9c8f6d-x2k8p",
    "namespace": "default",
    "ownerReferences": [
      {
        "apiVersion": "apps/v1",
        "blockOwnerDeletion": true,
        "controller": true,
        "kind": "ReplicaSet",
        "name": "web-7d4b9c8f6d",
        "uid": "0b6e4c2a-1d9f-4f7e-8a3b-6c5d4e3f2a1b"
      }
    ],
    "resourceVersion": "48190",
    "uid": "e2f1c3d4-5b6a-4798-8a9b-0c1d2e3f4a5b"
  },
  "spec": {
    "affinity": {
      "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
          "nodeSelectorTerms": [
            {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]}]}
          ]
        }
      },
      "podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
          {
            "podAffinityTerm": {
              "labelSelector": {"matchLabels": {"app": "web"}},
              "topologyKey": "kubernetes.io/hostname"
            },
            "weight": 100
          }
        ]
      }
    },
    "containers": [
      {
        "args": ["--port=8080"],
        "env": [
          {"name": "MODE", "value": "production"},
          {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}}
        ],
        "image": "registry.example.com/web:2.4.1",
        "imagePullPolicy": "IfNotPresent",
        "livenessProbe": {
          "failureThreshold": 3,
          "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
          "initialDelaySeconds": 10,
          "periodSeconds": 10,
          "successThreshold": 1,
          "timeoutSeconds": 1
        },
        "name": "web",
        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
        "readinessProbe": {
          "failureThreshold": 3,
          "periodSeconds": 5,
          "successThreshold": 1,
          "tcpSocket": {"port": "http"},
          "timeoutSeconds": 1
        },
        "resources": {"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": "0.25", "memory": "256Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [
          {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": "kube-api-access-7xq2d", "readOnly": true}
        ]
      }
    ],
    "dnsPolicy": "ClusterFirst",
    "enableServiceLinks": true,
    "nodeName": "worker-1",
    "preemptionPolicy": "PreemptLowerPriority",
    "priority": 0,
    "restartPolicy": "Always",
    "schedulerName": "default-scheduler",
    "securityContext": {"fsGroup": 2000, "runAsNonRoot": true, "runAsUser": 1000},
    "serviceAccount": "default",
    "serviceAccountName": "default",
    "terminationGracePeriodSeconds": 30,
    "tolerations": [
      {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
      {"effect": "NoSchedule", "key": "dedicated", "operator": "Equal", "value": "web"}
    ],
    "volumes": [
      {
        "name": "kube-api-access-7xq2d",
        "projected": {
          "defaultMode": 420,
          "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}}
          ]
        }
      }
    ]
  },
  "status": {
    "conditions": [
      {"lastTransitionTime": "2025-03-14T09:26:55Z", "status": "True", "type": "Ready"},
      {"lastTransitionTime": "2025-03-14T09:26:53Z", "status": "True", "type": "PodScheduled"}
    ],
    "containerStatuses": [
      {
        "containerID": "containerd://4f3e2d1c",
        "image": "registry.example.com/web:2.4.1",
        "imageID": "registry.example.com/web@sha256:1f2e3d",
        "lastState": {},
        "name": "web",
        "ready": true,
        "restartCount": 0,
        "started": true,
        "state": {"running": {"startedAt": "2025-03-14T09:26:54Z"}}
      }
    ],
    "hostIP": "10.0.0.11",
    "phase": "Running",
    "podIP": "10.244.1.17",
    "podIPs": [{"ip": "10.244.1.17"}],
    "qosClass": "Burstable",
    "startTime": "2025-03-14T09:26:53Z"
  }
}
"""#
