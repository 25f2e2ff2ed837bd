import Foundation
import Testing
@testable import Settings

/// `base =` chains: a loop or an endless chain is a configuration error with its file and
/// line, never a stack overflow.
@Suite struct BaseChain {
    /// A fresh folder holding `files` (name → TOML source).
    func folder(_ files: [String: String]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-base-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, source) in files {
            try Data(source.utf8).write(to: folder.appendingPathComponent(name))
        }
        return folder
    }

    func problems(loading name: String, in folder: URL) -> [ConfigProblem] {
        do {
            _ = try Settings.load(folder.appendingPathComponent(name))
            return []
        } catch {
            return error.problems
        }
    }

    @Test func twoFilesNamingEachOtherAreALoop() throws {
        let folder = try folder(["a.toml": "base = \"b.toml\"\n", "b.toml": "# the shared part\nbase = \"a.toml\"\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let found = problems(loading: "a.toml", in: folder)
        #expect(found.count == 1)
        #expect(found.first?.description
            == "b.toml:2: error: base: the base files form a loop (a.toml → b.toml → a.toml); remove the base setting that closes it")
    }

    @Test func aFileThatIsItsOwnBase() throws {
        // "./" and a symbolic link must not hide that the base is the file itself.
        let folder = try folder(["a.toml": "base = \"./link.toml\"\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("link.toml"),
                                                   withDestinationURL: folder.appendingPathComponent("a.toml"))
        let found = problems(loading: "a.toml", in: folder)
        #expect(found.map(\.description) == ["a.toml:1: error: base: a configuration cannot be its own base (a.toml → link.toml)"])
    }

    @Test func aLongChainIsCutWithItsNames() throws {
        // c0.toml → c1.toml → … → c11.toml, with no loop.
        var files: [String: String] = [:]
        for index in 0..<12 { files["c\(index).toml"] = index == 11 ? "" : "base = \"c\(index + 1).toml\"\n" }
        let folder = try folder(files)
        defer { try? FileManager.default.removeItem(at: folder) }
        let found = problems(loading: "c0.toml", in: folder)
        #expect(found.count == 1)
        #expect(found.first?.file == "c7.toml" && found.first?.line == 1)
        #expect(found.first?.message.hasPrefix("base files are nested more than 8 deep (c0.toml → c1.toml") == true)
    }

    @Test func aShortChainStillInherits() throws {
        let folder = try folder([
            "a.toml": "base = \"b.toml\"\n",
            "b.toml": "[[rules]]\nname = \"drill\"\nquery = \"drill\"\n",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try Settings.load(folder.appendingPathComponent("a.toml")).rules.map(\.name) == ["drill"])
    }

    /// A file with rules of its own and no `[terms]` uses its base's word lists.
    @Test func rulesOfTheirOwnUseTheBasesWordLists() throws {
        let folder = try folder([
            "base.toml": "[terms]\nchina = \"china OR chinese\"\n[[rules]]\nname = \"a\"\nquery = \"$china\"\n",
            "site.toml": "base = \"base.toml\"\n[[rules]]\nname = \"b\"\nquery = \"$china AND drill\"\n",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let settings = try Settings.load(folder.appendingPathComponent("site.toml"))
        #expect(settings.rules.map(\.query) == ["(china OR chinese) AND drill"])
    }
}
