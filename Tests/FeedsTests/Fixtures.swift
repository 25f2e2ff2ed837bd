import Foundation

/// Fixture files shipped beside the tests.
enum Fixture {
    static func bytes(_ path: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "Fixtures/" + path, withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        return Array(try Data(contentsOf: url))
    }
}
