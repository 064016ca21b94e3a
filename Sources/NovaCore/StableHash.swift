/// Hashes that are the same in every process and on every run (Swift's `Hasher` is seeded per process), for
/// values derived from ids: FNV-1a, and bytes as lowercase hex.
public enum StableHash {
    public static func fnv1a32(_ text: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return hash
    }

    /// Two hex digits per byte.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
    }
}
