import NovaConfig
import Testing

@Suite struct NovaConfigTests {
    let text = """
        # comment
        [DEFAULT]
        host = compute-7
        service_down_time=90
        ; another comment
        [filter_scheduler]
        enabled_filters = ComputeFilter, AvailabilityZoneFilter
        [api]
        max_limit = many
        """

    @Test func readsSectionsAndTypes() throws {
        let config = try NovaConfig(text: text)
        #expect(config["DEFAULT", "host"] == "compute-7")
        #expect(try config.int("DEFAULT", "service_down_time", default: 60) == 90)
        #expect(
            config.list("filter_scheduler", "enabled_filters", default: []) == [
                "ComputeFilter", "AvailabilityZoneFilter",
            ])
        #expect(try config.int("DEFAULT", "report_interval", default: 10) == 10)
    }

    @Test func aBadValueNamesTheOption() throws {
        let config = try NovaConfig(text: text)
        do {
            _ = try config.int("api", "max_limit", default: 1000)
            Issue.record("'many' was read as an integer")
        } catch let error as ConfigError {
            #expect(error.message == "[api] max_limit = many is not an integer")
        }
    }

    @Test func aLaterFileWinsKeyByKey() throws {
        let shared = try NovaConfig(text: text)
        let host = try NovaConfig(
            text: "[DEFAULT]\nhost = compute-8\nmy_ip = 10.1.2.3\n[vnc]\nserver_listen = 0.0.0.0\n")
        let merged = shared.overlaid(by: host)
        #expect(merged["DEFAULT", "host"] == "compute-8")
        #expect(merged["DEFAULT", "my_ip"] == "10.1.2.3")
        #expect(merged["DEFAULT", "service_down_time"] == "90")
        #expect(merged["vnc", "server_listen"] == "0.0.0.0")
        #expect(merged["api", "max_limit"] == "many")
        #expect(try NovaConfig.load(paths: []) == NovaConfig())
    }

    @Test func aBadLineIsAParseError() {
        #expect(throws: NovaConfig.ParseError.self) { try NovaConfig(text: "[DEFAULT]\njust words\n") }
        #expect(throws: NovaConfig.ParseError.self) { try NovaConfig(text: "[DEFAULT\n") }
    }
}
