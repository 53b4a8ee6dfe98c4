import Testing
@testable import TrellisCore

@Suite struct FormTests {
    let form = FormDefinition(
        key: "ebook", title: "Ebook",
        fields: [
            FormField(name: "email", label: "Email", kind: .email, required: true),
            FormField(name: "firstName", label: "First name", required: true, hideIfKnown: true),
            FormField(name: "company", label: "Company", progressive: true),
            FormField(name: "title", label: "Job title", progressive: true),
            FormField(name: "size", label: "Size", kind: .select, options: ["1-10", "11-50"], progressive: true),
        ],
        progressiveMax: 2, consent: FormConsent(text: "Email me", version: "v3", required: false))

    @Test func firstVisitAsksTheFirstProgressiveFields() {
        #expect(form.fieldsToShow(knownTraits: [:]).map(\.name) == ["email", "firstName", "company", "title"])
    }

    @Test func returningVisitorIsAskedWhatIsStillUnknown() {
        let known: [String: JSONValue] = ["email": "a@b.co", "firstName": "Ada", "company": "Acme", "title": "CTO"]
        #expect(form.fieldsToShow(knownTraits: known).map(\.name) == ["email", "size"])
    }

    @Test func validSubmissionBecomesTraits() throws {
        let result = form.validate(["email": " ada@acme.example ", "firstName": "Ada", "company": "Acme", "consent": "on"], shown: nil)
        let submission = try result.get()
        #expect(submission.email == "ada@acme.example")
        #expect(submission.traits == ["email": "ada@acme.example", "firstName": "Ada", "company": "Acme"])
        #expect(submission.consentGiven)
    }

    @Test func errorsNameEachField() {
        guard case .failure(let failure) = form.validate(["email": "not-an-email", "size": "huge"], shown: ["email", "firstName", "size"]) else {
            Issue.record("expected errors")
            return
        }
        #expect(failure.errors.map(\.field) == ["email", "firstName", "size"])
    }

    @Test func requiredConsentMustBeTicked() {
        var strict = form
        strict.consent?.required = true
        guard case .failure(let failure) = strict.validate(["email": "a@b.co", "firstName": "A"], shown: nil) else {
            Issue.record("expected errors")
            return
        }
        #expect(failure.errors.map(\.field) == ["consent"])
    }

    @Test func honeypot() {
        #expect(form.isHoneypotTripped([FormDefinition.honeypotField: "http://spam.example"]))
        #expect(!form.isHoneypotTripped(["email": "a@b.co"]))
    }

    @Test func definitionErrorsNameThePath() {
        func failure(_ json: JSONValue) -> InputError? {
            do {
                _ = try FormDefinition(json: json)
                return nil
            } catch { return error }
        }
        #expect(failure(["key": "Bad Key!", "title": "t", "fields": [["name": "email", "type": "email"]]])?.field == "key")
        #expect(failure(["key": "k", "title": "t", "fields": [["name": "email", "type": "emial"]]])?.field == "fields[0].type")
        #expect(failure(["key": "k", "title": "t", "fields": [["name": "first"]]])?.field == "fields")
        #expect(failure(["key": "k", "title": "t", "fields": [["name": "email", "type": "email"]], "colour": "red"])?.field == "colour")
        #expect(failure(["key": "k", "title": "t", "fields": [["name": "email", "type": "email"], ["name": "s", "type": "select"]]])?.field == "fields[1].options")
    }

    @Test func definitionRoundTripsThroughJSON() throws {
        #expect(try FormDefinition(json: form.json) == form)
    }

    @Test func rateLimiterRefillsOverTime() {
        var limiter = RateLimiter(burst: 2, perMinute: 6)
        let start = Timestamp(millisecondsSinceEpoch: 1_000_000)
        #expect(limiter.take("1.2.3.4", at: start) == .allowed)
        #expect(limiter.take("1.2.3.4", at: start) == .allowed)
        #expect(limiter.take("1.2.3.4", at: start) == .limited(retryAfterSeconds: 10))
        #expect(limiter.take("5.6.7.8", at: start) == .allowed)
        #expect(limiter.take("1.2.3.4", at: start.adding(milliseconds: 10_000)) == .allowed)
    }
}
