import ImageService
import NovaConfig

extension CloudOptions {
    /// `[image_quota]`: each project's image limits, named as Glance's unified limits, and Glance's per-image
    /// member, property and tag limits.
    mutating func readImageQuotas(_ config: NovaConfig) throws {
        let limits: [(String, WritableKeyPath<ImageQuotas, Int>)] = [
            ("image_count_total", \.imageCountTotal), ("image_size_total", \.imageSizeTotal),
            ("image_stage_total", \.imageStageTotal), ("image_count_uploading", \.imageCountUploading),
            ("image_member_quota", \.membersPerImage), ("image_property_quota", \.propertiesPerImage),
            ("image_tag_quota", \.tagsPerImage),
        ]
        for (key, path) in limits {
            let value = try config.int("image_quota", key, default: imageQuotas[keyPath: path])
            guard value >= -1 else { throw ConfigError(message: "[image_quota] \(key) = \(value): -1 or more") }
            imageQuotas[keyPath: path] = value
        }
    }
}
