// A Deployment as `kubectl get deployment web -o json` prints it from a v1.36 cluster.
let deploymentJSON = #"""
{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {
    "annotations": {"deployment.kubernetes.io/revision": "2"},
    "creationTimestamp": "2025-03-14T09:26:53Z",
    "generation": 3,
    "labels": {"app": "web", "app.kubernetes.io/part-of": "shop"},
    "name": "web",
    "namespace": "default",
    "resourceVersion": "48211",
    "uid": "5c1d9a8e-3f0b-4d4e-9a51-3b8f6f0e2c77"
  },
  "spec": {
    "progressDeadlineSeconds": 600,
    "replicas": 3,
    "revisionHistoryLimit": 10,
    "selector": {"matchLabels": {"app": "web"}},
    "strategy": {
      "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1},
      "type": "RollingUpdate"
    },
    "template": {
      "metadata": {"creationTimestamp": "2025-03-14T09:26:53Z", "labels": {"app": "web"}},
      "spec": {
        "containers": [
          {
            "image": "nginx:1.27",
            "imagePullPolicy": "IfNotPresent",
            "name": "nginx",
            "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"}],
            "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File"
          }
        ],
        "dnsPolicy": "ClusterFirst",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30
      }
    }
  },
  "status": {
    "availableReplicas": 3,
    "conditions": [
      {
        "lastTransitionTime": "2025-03-14T09:27:05Z",
        "lastUpdateTime": "2025-03-14T09:27:05Z",
        "message": "Deployment has minimum availability.",
        "reason": "MinimumReplicasAvailable",
        "status": "True",
        "type": "Available"
      },
      {
        "lastTransitionTime": "2025-03-14T09:26:53Z",
        "lastUpdateTime": "2025-03-14T10:02:41Z",
        "message": "ReplicaSet \"web-7d4b9c8f6d\" has successfully progressed.",
        "reason": "NewReplicaSetAvailable",
        "status": "True",
        "type": "Progressing"
      }
    ],
    "observedGeneration": 3,
    "readyReplicas": 3,
    "replicas": 3,
    "updatedReplicas": 3
  }
}
"""#
