/// A server's trusted image certificates (2.63): the ids of the certificates its image's signing certificate
/// must chain to. As in Nova, naming them turns on the image's signature verification at spawn.
public enum TrustedImageCertificates {
    /// The image properties a signed image carries (Glance's image signing, read by cursive).
    public static let signatureProperties = [
        "img_signature", "img_signature_hash_method", "img_signature_key_type", "img_signature_certificate_uuid",
    ]

    /// Why the image of a server with trusted certificates cannot be verified, or nil when the server names
    /// none. An unsigned image fails as Nova's verifier fails it. A signed one needs its certificate from a key
    /// manager (Barbican, through castellan in Nova), which this cloud does not run yet: it fails as Nova does
    /// when the certificate cannot be retrieved, rather than booting an image nobody verified.
    public static func verificationFailure(_ certificates: [String]?, imageID: String, properties: [String: String])
        -> String?
    {
        guard let certificates, !certificates.isEmpty else { return nil }
        if let missing = signatureProperties.first(where: { properties[$0] == nil }) {
            return "Image signature verification failed for image: \(imageID), reason: Required image properties "
                + "for signature verification do not exist. Cannot verify signature. Missing property: \(missing)"
        }
        let certificate = properties["img_signature_certificate_uuid"] ?? ""
        return "Image signature certificate validation failed for certificate: \(certificate). Unable to retrieve "
            + "certificate with ID \(certificate): no key manager is configured in this cloud"
    }
}
