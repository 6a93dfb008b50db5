// A Node with status and a node Lease, as `kubectl get -o json` prints them.
let nodeJSON = #"""
{
  "apiVersion": "v1",
  "kind": "Node",
  "metadata": {
    "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
    "creationTimestamp": "2025-03-01T08:00:00Z",
    "labels": {"kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "worker-1", "kubernetes.io/os": "linux"},
    "name": "worker-1",
    "resourceVersion": "47002",
    "uid": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
  },
  "spec": {
    "podCIDR": "10.244.1.0/24",
    "podCIDRs": ["10.244.1.0/24"],
    "taints": [{"effect": "NoSchedule", "key": "dedicated", "value": "web"}]
  },
  "status": {
    "addresses": [{"address": "10.0.0.11", "type": "InternalIP"}, {"address": "worker-1", "type": "Hostname"}],
    "allocatable": {"cpu": "3800m", "ephemeral-storage": "95551679124", "memory": "7901560Ki", "pods": "110"},
    "capacity": {"cpu": "4", "ephemeral-storage": "103680420Ki", "memory": "8003960Ki", "pods": "110"},
    "conditions": [
      {
        "lastHeartbeatTime": "2025-03-14T10:05:12Z",
        "lastTransitionTime": "2025-03-01T08:00:40Z",
        "message": "kubelet is posting ready status",
        "reason": "KubeletReady",
        "status": "True",
        "type": "Ready"
      },
      {
        "lastHeartbeatTime": "2025-03-14T10:05:12Z",
        "lastTransitionTime": "2025-03-01T08:00:00Z",
        "message": "kubelet has sufficient memory available",
        "reason": "KubeletHasSufficientMemory",
        "status": "False",
        "type": "MemoryPressure"
      }
    ],
    "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
    "images": [{"names": ["registry.example.com/web@sha256:1f2e3d", "registry.example.com/web:2.4.1"], "sizeBytes": 48213456}],
    "nodeInfo": {
      "architecture": "amd64",
      "bootID": "3c2b1a09-8f7e-4d6c-b5a4-938271605f4e",
      "containerRuntimeVersion": "containerd://2.0.3",
      "kernelVersion": "6.8.0-52-generic",
      "kubeProxyVersion": "",
      "kubeletVersion": "v1.36.0",
      "machineID": "4d3c2b1a0f9e8d7c6b5a49382716f5e4",
      "operatingSystem": "linux",
      "osImage": "Ubuntu 24.04.2 LTS",
      "systemUUID": "ec2a1b3c-4d5e-6f70-8192-a3b4c5d6e7f8"
    }
  }
}
"""#

let leaseJSON = #"""
{
  "apiVersion": "coordination.k8s.io/v1",
  "kind": "Lease",
  "metadata": {
    "creationTimestamp": "2025-03-01T08:00:01Z",
    "name": "worker-1",
    "namespace": "kube-node-lease",
    "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "worker-1", "uid": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"}],
    "resourceVersion": "48230",
    "uid": "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
  },
  "spec": {"holderIdentity": "worker-1", "leaseDurationSeconds": 40, "renewTime": "2025-03-14T10:05:42.123456Z"}
}
"""#
