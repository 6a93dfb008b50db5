import SkiffAPI

/// What `/version` reports. kubectl (and the `/usr/bin/kubectl` dispatcher, which picks the kubectl of
/// the server's minor version) read it, so it names the Kubernetes version Skiff implements.
public struct VersionInfo: Sendable {
    public static let kubernetesMajor = "1"
    public static let kubernetesMinor = "32"
    public static let gitVersion = "v1.32.1+skiff"
    /// Skiff's own version.
    public static let skiffVersion = "0.1.0"

    static var json: JSONValue {
        #if arch(arm64)
        let platform = "linux/arm64"
        #else
        let platform = "linux/amd64"
        #endif
        return [
            "major": .string(kubernetesMajor), "minor": .string(kubernetesMinor), "gitVersion": .string(gitVersion),
            "gitCommit": .string("skiff-\(skiffVersion)"), "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": "go1.23.4", "compiler": "swift", "platform": .string(platform),
        ]
    }
}
