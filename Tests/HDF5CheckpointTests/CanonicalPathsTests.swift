import HDF5Checkpoint
import Testing

@Suite("Canonical names and paths")
struct CanonicalPathsTests {
    @Test("Escaping is the percent-encoding Python's quote(name, safe='') gives, dots encoded too",
          arguments: [("a.b", "a%2Eb"), ("x/y", "x%2Fy"), ("", "%"), ("100%", "100%25"), ("ü", "%C3%BC"),
                      ("A-z_0~9", "A-z_0~9"), (" ", "%20"), ("\u{0}", "%00")])
    func escaping(_ name: String, _ link: String) {
        #expect(CanonicalPaths.escapedLinkName(name) == link)
        #expect(CanonicalPaths.unescape(link) == name)
    }

    @Test("Escaped names decode to themselves", arguments: ["", ".", "..", "a..b", "🙂.名前", "%%", "__escaped__.x"])
    func escapeRoundTrip(_ name: String) {
        let link = CanonicalPaths.escapedLinkName(name)
        #expect(!link.contains("/") && link != "." && !link.isEmpty)
        #expect(CanonicalPaths.unescape(link) == name)
    }

    @Test("Invalid escapes are rejected", arguments: ["%2", "%zz", "a.b", "a/b", "%FF"])
    func invalidEscapes(_ link: String) {
        #expect(CanonicalPaths.unescape(link) == nil)
    }

    @Test("Placement nests plain names and escapes the rest, first come first served")
    func placement() {
        let names = ["a.b.c", "a.b", "x.y", "x.y.z", "p//q", ".", "__escaped__.w", "ok", "ok.more"]
        #expect(CanonicalPaths.assign(names) == [
            ["a", "b", "c"], ["__escaped__", "a%2Eb"], ["x", "y"], ["__escaped__", "x%2Ey%2Ez"],
            ["__escaped__", "p%2F%2Fq"], ["__escaped__", "%2E"], ["__escaped__", "__escaped__%2Ew"],
            ["ok"], ["__escaped__", "ok%2Emore"],
        ])
    }
}
