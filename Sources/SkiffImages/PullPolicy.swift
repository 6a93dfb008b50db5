/// A container's `imagePullPolicy`, defaulted as the API server does.
public enum PullPolicy: String, Sendable, CaseIterable {
    case always = "Always"
    case ifNotPresent = "IfNotPresent"
    case never = "Never"

    /// Upstream's `SetDefaults_Container`: `:latest` or no tag (and no digest) → Always, else IfNotPresent.
    /// An unparsable image defaults to IfNotPresent, as upstream (validation rejects it elsewhere).
    public static func defaulted(for image: String) -> PullPolicy {
        guard let reference = try? ImageReference(parsing: image) else { return .ifNotPresent }
        return reference.effectiveTag == ImageReference.defaultTag ? .always : .ifNotPresent
    }

    /// The given policy (`Always`, `IfNotPresent`, `Never`), or the default for `image` when nil or empty.
    public static func effective(_ policy: String?, image: String) -> PullPolicy {
        guard let policy, !policy.isEmpty, let parsed = PullPolicy(rawValue: policy) else {
            return defaulted(for: image)
        }
        return parsed
    }
}

/// What the kubelet does about a container's image: use the local image, or report a waiting reason.
public enum ImagePullDecision: Sendable {
    /// Run from this image (present locally).
    case use(Image, message: String)
    /// The container waits with `reason` (`ErrImageNeverPull`, `ErrImagePull`) and `message`.
    case fail(reason: String, message: String)

    /// The reason the kubelet reports after repeated failures, while it backs off.
    public static let backOffReason = "ImagePullBackOff"
    public static let errImagePull = "ErrImagePull"
    public static let errImageNeverPull = "ErrImageNeverPull"
    public static let errInvalidImageName = "InvalidImageName"

    /// The message upstream's image manager gives while backing off.
    public static func backOffMessage(image: String) -> String { "Back-off pulling image \"\(image)\"" }
}

extension ImageStore {
    /// Decides what the kubelet does for `image` under `policy` (nil: the Kubernetes default).
    /// Pulling from registries is not supported yet, so `Always` uses a present image and a missing one fails.
    public func pullDecision(image: String, policy: PullPolicy?) throws -> ImagePullDecision {
        let reference: ImageReference
        do { reference = try ImageReference(parsing: image) } catch let error as ImageError {
            return .fail(
                reason: ImagePullDecision.errInvalidImageName,
                message: "Failed to apply default image tag \"\(image)\": \(error.description)")
        }
        let policy = policy ?? PullPolicy.defaulted(for: image)
        if let present = try resolve(reference) {
            return .use(present, message: "Container image \"\(image)\" already present on machine")
        }
        if policy == .never {
            return .fail(
                reason: ImagePullDecision.errImageNeverPull,
                message: "Container image \"\(image)\" is not present with pull policy of Never")
        }
        return .fail(
            reason: ImagePullDecision.errImagePull,
            message: "Failed to pull image \"\(image)\": pulling from registries is not supported yet; "
                + "import the image with `skiff image import PATH --tag \(reference)`")
    }
}
