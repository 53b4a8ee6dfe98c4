import Foundation
import Testing
import TrellisStore

@testable import TrellisServer

/// How a write key is read from Segment's HTTP Basic header, how a key is hashed at rest, and how
/// a request's media type is read (the header work every tracking request does).
@Suite struct KeyHeaderTests {
    func basic(_ credentials: String) -> String { Data(credentials.utf8).base64EncodedString() }

    @Test func theUserNameOfABasicHeaderIsTheWriteKey() {
        #expect(KeyAuthenticator.basicUser(header: "Basic " + basic("wk_123:")) == "wk_123")
        #expect(KeyAuthenticator.basicUser(header: "Basic " + basic("wk_123")) == "wk_123")
        #expect(KeyAuthenticator.basicUser(header: "Basic " + basic("wk_123:secret:more")) == "wk_123")
        // The scheme in any case, spaces and tabs around the credentials.
        #expect(KeyAuthenticator.basicUser(header: "bAsIc \t " + basic("wk_123:") + " ") == "wk_123")
        #expect(KeyAuthenticator.basicUser(header: "Basic " + basic("clé:")) == "clé")
        #expect(KeyAuthenticator.basicUser(header: "Basic ") == "")
    }

    @Test func anotherSchemeOrBadCredentialsAreNoBasicUser() {
        #expect(KeyAuthenticator.basicUser(header: "Bearer wk_123") == nil)
        #expect(KeyAuthenticator.basicUser(header: "Basi") == nil)
        #expect(KeyAuthenticator.basicUser(header: "Basicwk_123") == nil)
        #expect(KeyAuthenticator.basicUser(header: "Basic not*base64") == nil)
        // Base64 of bytes that are not UTF-8.
        #expect(KeyAuthenticator.basicUser(header: "Basic " + Data([0xff, 0xfe, 0x3a]).base64EncodedString()) == nil)
    }

    /// The management API, the tracking API and the audit log read `Bearer <key>` through this one reader.
    @Test func theBearerKeyIsTheTrimmedCredentialInAnyCaseOfTheScheme() {
        #expect(KeyAuthenticator.bearerKey(header: "Bearer tk_123") == "tk_123")
        #expect(KeyAuthenticator.bearerKey(header: "bEARER \t tk_123 \t") == "tk_123")
        #expect(KeyAuthenticator.bearerKey(header: "Bearer\ttk_123") == "tk_123")
        #expect(KeyAuthenticator.bearerKey(header: "Bearer clé") == "clé")
        #expect(KeyAuthenticator.bearerKey(header: "Bearer ") == nil)
        #expect(KeyAuthenticator.bearerKey(header: "Bearer  \t ") == nil)
        #expect(KeyAuthenticator.bearerKey(header: "Bearer") == nil)
        #expect(KeyAuthenticator.bearerKey(header: "Bearertk_123") == nil)
        #expect(KeyAuthenticator.bearerKey(header: "Basic dGs6") == nil)
        #expect(KeyAuthenticator.bearerKey(header: "") == nil)
    }

    /// Keys are stored as this hash: it must not change, or every stored key stops working.
    @Test func aKeyIsHashedAsLowercaseHexSHA256() {
        #expect(APIKeys.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(APIKeys.hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func theMediaTypeIsThePartBeforeParametersLowercased() {
        #expect(RequestBody.mediaType(header: "application/json") == "application/json")
        #expect(RequestBody.mediaType(header: " Application/JSON ; charset=utf-8") == "application/json")
        #expect(RequestBody.mediaType(header: "text/plain;charset=UTF-8") == "text/plain")
        #expect(RequestBody.mediaType(header: "\tmultipart/form-data; boundary=x") == "multipart/form-data")
        #expect(RequestBody.mediaType(header: "") == "")
        #expect(RequestBody.mediaType(header: "; charset=utf-8") == "")
    }
}
