/// The OpenAPI 3.1 document served at `GET /openapi.json`; Tests/Interop validates it with
/// openapi-spec-validator, and the HTTP tests check every route is in it.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Trellis API",
    "version": "0.1.0",
    "description": "Trellis's tracking API (compatible with Segment's HTTP Tracking API), management API and hosted forms. Errors are {\"error\": {\"code\", \"message\", \"field\"}}. On the pages people open from an email or a web page (/u/, /t/, /h/, /f/), a client whose Accept header asks for text/html gets the error as an HTML page with the same status."
  },
  "servers": [
    {
      "url": "http://127.0.0.1:8080"
    }
  ],
  "tags": [
    {
      "name": "Tracking"
    },
    {
      "name": "Contacts"
    },
    {
      "name": "Accounts"
    },
    {
      "name": "Forms"
    },
    {
      "name": "Hosted forms"
    },
    {
      "name": "Operations"
    },
    {
      "name": "Segments"
    },
    {
      "name": "Scoring"
    },
    {
      "name": "Workflows"
    },
    {
      "name": "Email"
    },
    {
      "name": "Email links",
      "description": "Links inside emails: no login, HMAC-signed tokens"
    },
    {
      "name": "Sales",
      "description": "Handoffs, feedback, the CRM webhook and callback"
    },
    {
      "name": "Reports"
    },
    {
      "name": "Keys and audit"
    }
  ],
  "paths": {
    "/v1/identify": {
      "post": {
        "tags": [
          "Tracking"
        ],
        "summary": "Identify a person and set traits",
        "description": "Segment's identify call. userId or anonymousId is required; traits.email links or merges contacts.",
        "security": [
          {
            "writeKey": []
          },
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "Content-Encoding",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "gzip",
                "identity"
              ]
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/Identify"
              }
            },
            "text/plain": {
              "schema": {
                "$ref": "#/components/schemas/Identify"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Committed to disk (all messages of the request, or none)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/TrackingAccepted"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/TrackingBadRequest"
          },
          "401": {
            "$ref": "#/components/responses/TrackingUnauthorized"
          },
          "403": {
            "$ref": "#/components/responses/TrackingForbidden"
          },
          "413": {
            "$ref": "#/components/responses/TrackingTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/TrackingUnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/RateLimited"
          },
          "507": {
            "$ref": "#/components/responses/StorageFull"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/track": {
      "post": {
        "tags": [
          "Tracking"
        ],
        "summary": "Record an event",
        "description": "Segment's track call. An event name Trellis writes itself (Lifecycle Stage Changed, Sales Feedback, Handed Off, Segment Entered, Email Sent, Workflow Entered, …) is refused: 400 reserved_event, field event.",
        "security": [
          {
            "writeKey": []
          },
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "Content-Encoding",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "gzip",
                "identity"
              ]
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/Track"
              }
            },
            "text/plain": {
              "schema": {
                "$ref": "#/components/schemas/Track"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Committed to disk (all messages of the request, or none)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/TrackingAccepted"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/TrackingBadRequest"
          },
          "401": {
            "$ref": "#/components/responses/TrackingUnauthorized"
          },
          "403": {
            "$ref": "#/components/responses/TrackingForbidden"
          },
          "413": {
            "$ref": "#/components/responses/TrackingTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/TrackingUnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/RateLimited"
          },
          "507": {
            "$ref": "#/components/responses/StorageFull"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/page": {
      "post": {
        "tags": [
          "Tracking"
        ],
        "summary": "Record a page view",
        "description": "Segment's page call.",
        "security": [
          {
            "writeKey": []
          },
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "Content-Encoding",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "gzip",
                "identity"
              ]
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/Page"
              }
            },
            "text/plain": {
              "schema": {
                "$ref": "#/components/schemas/Page"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Committed to disk (all messages of the request, or none)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/TrackingAccepted"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/TrackingBadRequest"
          },
          "401": {
            "$ref": "#/components/responses/TrackingUnauthorized"
          },
          "403": {
            "$ref": "#/components/responses/TrackingForbidden"
          },
          "413": {
            "$ref": "#/components/responses/TrackingTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/TrackingUnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/RateLimited"
          },
          "507": {
            "$ref": "#/components/responses/StorageFull"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/screen": {
      "post": {
        "tags": [
          "Tracking"
        ],
        "summary": "Record a screen view",
        "description": "Segment's screen call.",
        "security": [
          {
            "writeKey": []
          },
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "Content-Encoding",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "gzip",
                "identity"
              ]
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/Screen"
              }
            },
            "text/plain": {
              "schema": {
                "$ref": "#/components/schemas/Screen"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Committed to disk (all messages of the request, or none)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/TrackingAccepted"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/TrackingBadRequest"
          },
          "401": {
            "$ref": "#/components/responses/TrackingUnauthorized"
          },
          "403": {
            "$ref": "#/components/responses/TrackingForbidden"
          },
          "413": {
            "$ref": "#/components/responses/TrackingTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/TrackingUnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/RateLimited"
          },
          "507": {
            "$ref": "#/components/responses/StorageFull"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/group": {
      "post": {
        "tags": [
          "Tracking"
        ],
        "summary": "Link a person to an account",
        "description": "Segment's group call: creates or updates the account with groupId and links the contact.",
        "security": [
          {
            "writeKey": []
          },
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "Content-Encoding",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "gzip",
                "identity"
              ]
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/Group"
              }
            },
            "text/plain": {
              "schema": {
                "$ref": "#/components/schemas/Group"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Committed to disk (all messages of the request, or none)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/TrackingAccepted"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/TrackingBadRequest"
          },
          "401": {
            "$ref": "#/components/responses/TrackingUnauthorized"
          },
          "403": {
            "$ref": "#/components/responses/TrackingForbidden"
          },
          "413": {
            "$ref": "#/components/responses/TrackingTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/TrackingUnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/RateLimited"
          },
          "507": {
            "$ref": "#/components/responses/StorageFull"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/alias": {
      "post": {
        "tags": [
          "Tracking"
        ],
        "summary": "Merge a previous id into a user",
        "description": "Segment's alias call.",
        "security": [
          {
            "writeKey": []
          },
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "Content-Encoding",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "gzip",
                "identity"
              ]
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/Alias"
              }
            },
            "text/plain": {
              "schema": {
                "$ref": "#/components/schemas/Alias"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Committed to disk (all messages of the request, or none)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/TrackingAccepted"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/TrackingBadRequest"
          },
          "401": {
            "$ref": "#/components/responses/TrackingUnauthorized"
          },
          "403": {
            "$ref": "#/components/responses/TrackingForbidden"
          },
          "413": {
            "$ref": "#/components/responses/TrackingTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/TrackingUnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/RateLimited"
          },
          "507": {
            "$ref": "#/components/responses/StorageFull"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/batch": {
      "post": {
        "tags": [
          "Tracking"
        ],
        "summary": "Send up to 500 KB of calls at once",
        "description": "Segment's batch call. All messages are validated first; one bad message refuses the batch, naming it (batch[3].event).",
        "security": [
          {
            "writeKey": []
          },
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "Content-Encoding",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "gzip",
                "identity"
              ]
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/Batch"
              }
            },
            "text/plain": {
              "schema": {
                "$ref": "#/components/schemas/Batch"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Committed to disk (all messages of the request, or none)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/TrackingAccepted"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/TrackingBadRequest"
          },
          "401": {
            "$ref": "#/components/responses/TrackingUnauthorized"
          },
          "403": {
            "$ref": "#/components/responses/TrackingForbidden"
          },
          "413": {
            "$ref": "#/components/responses/TrackingTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/TrackingUnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/RateLimited"
          },
          "507": {
            "$ref": "#/components/responses/StorageFull"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/t": {
      "$ref": "#/paths/~1v1~1track",
      "description": "The same as /v1/track: the path analytics.js posts to."
    },
    "/v1/p": {
      "$ref": "#/paths/~1v1~1page",
      "description": "The same as /v1/page: the path analytics.js posts to."
    },
    "/v1/i": {
      "$ref": "#/paths/~1v1~1identify",
      "description": "The same as /v1/identify: the path analytics.js posts to."
    },
    "/v1/g": {
      "$ref": "#/paths/~1v1~1group",
      "description": "The same as /v1/group: the path analytics.js posts to."
    },
    "/v1/a": {
      "$ref": "#/paths/~1v1~1alias",
      "description": "The same as /v1/alias: the path analytics.js posts to."
    },
    "/v1/s": {
      "$ref": "#/paths/~1v1~1screen",
      "description": "The same as /v1/screen: the path analytics.js posts to."
    },
    "/v1/b": {
      "$ref": "#/paths/~1v1~1batch",
      "description": "The same as /v1/batch: the path analytics.js's batching mode posts to."
    },
    "/v1/import": {
      "$ref": "#/paths/~1v1~1batch",
      "description": "The same as /v1/batch: the path analytics-java and analytics-ruby post to."
    },
    "/v1/projects/{writeKey}/settings": {
      "get": {
        "tags": [
          "Tracking"
        ],
        "summary": "Source settings for Segment's client libraries",
        "description": "What analytics.js fetches from its cdnURL, and analytics-swift and analytics-kotlin from their cdnHost, before sending: Trellis as the only destination at its public address (base_url, else the request's Host over http), and the libraries' telemetry to Segment off (metrics.sampleRate 0). Only a write key gets settings: any other key is a 404, as is an unknown one. Cacheable for 300 s.",
        "parameters": [
          {
            "name": "writeKey",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The settings",
            "headers": {
              "Cache-Control": {
                "schema": {
                  "type": "string"
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SourceSettings"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadParameter"
          },
          "404": {
            "description": "No source has this write key",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "429": {
            "$ref": "#/components/responses/RateLimited"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/tracker.js": {
      "get": {
        "tags": [
          "Tracking"
        ],
        "summary": "Trellis's first-party tracker: one script tag for sites without analytics.js",
        "description": "<script src=\".../v1/tracker.js\" data-write-key=\"...\" async></script>. Sends a page view on load (data-page=\"off\" stops it) and offers window.trellis.page, track, identify, group and reset; speaks analytics.js's wire format to /v1/p, /v1/t, /v1/i and /v1/g and keeps the visitor's ids where analytics.js keeps them (ajs_anonymous_id, ajs_user_id). Takes ajs_aid and ajs_uid from the page's address and UTM parameters as context.campaign. With data-consent=\"required\" it stores and sends nothing until trellis.consent('granted').",
        "responses": {
          "200": {
            "description": "JavaScript",
            "headers": {
              "Cache-Control": {
                "schema": {
                  "type": "string"
                }
              }
            },
            "content": {
              "text/javascript": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/contacts": {
      "get": {
        "tags": [
          "Contacts"
        ],
        "summary": "List contacts",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "email",
            "in": "query",
            "schema": {
              "type": "string"
            },
            "description": "Exact address, ignoring case"
          },
          {
            "name": "userId",
            "in": "query",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "limit",
            "in": "query",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 500,
              "default": 50
            }
          },
          {
            "name": "cursor",
            "in": "query",
            "description": "The `next` value of the previous page",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "A page of contacts in id order",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ContactPage"
                }
              }
            }
          },
          "400": {
            "description": "A bad query parameter",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/contacts/{id}": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "schema": {
            "type": "integer",
            "minimum": 1
          }
        }
      ],
      "get": {
        "tags": [
          "Contacts"
        ],
        "summary": "Get a contact (an id merged into another answers with the survivor)",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The contact",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Contact"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadId"
          },
          "404": {
            "$ref": "#/components/responses/ContactNotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "patch": {
        "tags": [
          "Contacts"
        ],
        "summary": "Update email, traits, stage or owner",
        "security": [
          {
            "bearer": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ContactPatch"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The updated contact",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Contact"
                }
              }
            }
          },
          "400": {
            "description": "A bad field (named)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/ContactNotFound"
          },
          "409": {
            "description": "The email belongs to another contact",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "delete": {
        "tags": [
          "Contacts"
        ],
        "summary": "Delete a contact with its events and consent records",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted"
          },
          "400": {
            "$ref": "#/components/responses/BadId"
          },
          "404": {
            "$ref": "#/components/responses/ContactNotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/contacts/{id}/timeline": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "schema": {
            "type": "integer",
            "minimum": 1
          }
        }
      ],
      "get": {
        "tags": [
          "Contacts"
        ],
        "summary": "Everything that happened to the contact, newest first",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "limit",
            "in": "query",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 500,
              "default": 50
            }
          },
          {
            "name": "cursor",
            "in": "query",
            "description": "The `next` value of the previous page",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "A page of events",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/EventPage"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadParameter"
          },
          "404": {
            "$ref": "#/components/responses/ContactNotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/contacts/{id}/consent": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "schema": {
            "type": "integer",
            "minimum": 1
          }
        }
      ],
      "get": {
        "tags": [
          "Contacts"
        ],
        "summary": "Consent evidence records",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "Consent records, oldest first",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/ConsentRecord"
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadParameter"
          },
          "404": {
            "$ref": "#/components/responses/ContactNotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/accounts/{id}": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "schema": {
            "type": "integer",
            "minimum": 1
          }
        }
      ],
      "get": {
        "tags": [
          "Accounts"
        ],
        "summary": "An account with its contacts",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The account",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Account"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadParameter"
          },
          "404": {
            "description": "No such account",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/forms": {
      "get": {
        "tags": [
          "Forms"
        ],
        "summary": "List forms",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "All forms",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/FormList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "post": {
        "tags": [
          "Forms"
        ],
        "summary": "Create a form",
        "security": [
          {
            "bearer": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/FormDefinition"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Created",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Form"
                }
              }
            }
          },
          "400": {
            "description": "An invalid definition (the field path is named)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "The key is taken",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/forms/{key}": {
      "parameters": [
        {
          "name": "key",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string",
            "pattern": "^[a-z0-9_-]{1,64}$"
          }
        }
      ],
      "get": {
        "tags": [
          "Forms"
        ],
        "summary": "Get a form with its URL and embed snippets",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The form",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Form"
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/FormNotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "put": {
        "tags": [
          "Forms"
        ],
        "summary": "Create or replace a form",
        "security": [
          {
            "bearer": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/FormDefinition"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Saved",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Form"
                }
              }
            }
          },
          "400": {
            "description": "An invalid definition",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "delete": {
        "tags": [
          "Forms"
        ],
        "summary": "Delete a form",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted"
          },
          "404": {
            "$ref": "#/components/responses/FormNotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/f/{formKey}": {
      "parameters": [
        {
          "name": "formKey",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string",
            "pattern": "^[a-z0-9_-]{1,64}$"
          }
        }
      ],
      "get": {
        "tags": [
          "Hosted forms"
        ],
        "summary": "The hosted form page (progressive profiling by the trellis_aid cookie)",
        "parameters": [
          {
            "name": "embed",
            "in": "query",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "anonymousId",
            "in": "query",
            "description": "The embedding page's visitor (embed.js passes analytics.js's): the submission is theirs, and progressive profiling reads their profile. Ignored unless it is 1 to 128 printable characters without ';' or ','.",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "HTML",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/FormNotFound"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "post": {
        "tags": [
          "Hosted forms"
        ],
        "summary": "Submit the form",
        "requestBody": {
          "required": true,
          "content": {
            "application/x-www-form-urlencoded": {
              "schema": {
                "type": "object",
                "additionalProperties": {
                  "type": "string"
                }
              }
            },
            "application/json": {
              "schema": {
                "type": "object",
                "additionalProperties": true,
                "properties": {
                  "submissionId": {
                    "type": "string",
                    "description": "Makes a repeated submission count once"
                  },
                  "anonymousId": {
                    "type": "string",
                    "description": "Whose submission it is (else the trellis_aid cookie's visitor, else a new one)"
                  },
                  "_tz": {
                    "type": "string",
                    "description": "The browser's IANA time zone (the hosted page's script sends it): the lead's timezone trait when it has none"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Accepted: a thank-you page, or JSON {success: true}",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              },
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          },
          "303": {
            "description": "Accepted; redirected to the form's redirect URL"
          },
          "400": {
            "description": "Unparseable body",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/FormNotFound"
          },
          "415": {
            "description": "Neither urlencoded nor JSON",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "422": {
            "description": "Invalid fields: the page shown again with errors, or a JSON error listing them",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              },
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "429": {
            "$ref": "#/components/responses/RateLimited"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/f/{formKey}/embed.js": {
      "parameters": [
        {
          "name": "formKey",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string",
            "pattern": "^[a-z0-9_-]{1,64}$"
          }
        }
      ],
      "get": {
        "tags": [
          "Hosted forms"
        ],
        "summary": "Script that embeds the form as an iframe where it is placed",
        "responses": {
          "200": {
            "description": "JavaScript",
            "content": {
              "text/javascript": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/FormNotFound"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/health": {
      "get": {
        "tags": [
          "Operations"
        ],
        "summary": "200 once the store answers",
        "responses": {
          "200": {
            "description": "Healthy",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "status": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "503": {
            "description": "The store does not answer",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "tags": [
          "Operations"
        ],
        "summary": "Prometheus metrics (text exposition format)",
        "responses": {
          "200": {
            "description": "Metrics",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "tags": [
          "Operations"
        ],
        "summary": "This document",
        "responses": {
          "200": {
            "description": "OpenAPI 3.1",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/segments": {
      "get": {
        "tags": [
          "Segments"
        ],
        "summary": "List segments with member counts and computation status",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The segments",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SegmentList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "post": {
        "tags": [
          "Segments"
        ],
        "summary": "Create a segment; its membership is computed over all contacts in the background",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "201": {
            "description": "Created; status.state is computing until the full computation ends",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Segment"
                }
              }
            }
          },
          "400": {
            "description": "The definition is invalid: `field` is the path in the rule (`match.all[1].within`); YAML bodies also get `line`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "in_segment names an unknown segment",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "A segment of that name exists",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/SegmentDefinition"
              }
            },
            "application/yaml": {
              "schema": {
                "type": "string",
                "description": "The same definition as YAML; errors then carry the line."
              }
            }
          }
        },
        "description": "The rule language is described in docs/rules.md. Body as JSON, or as YAML with Content-Type application/yaml."
      }
    },
    "/api/v1/segments/preview": {
      "post": {
        "tags": [
          "Segments"
        ],
        "summary": "Count who matches a rule now, without saving it",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The count",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SegmentPreview"
                }
              }
            }
          },
          "400": {
            "description": "The definition is invalid: `field` is the path in the rule (`match.all[1].within`); YAML bodies also get `line`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "in_segment names an unknown segment",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "match"
                ],
                "properties": {
                  "match": {
                    "$ref": "#/components/schemas/Rule"
                  }
                }
              }
            },
            "application/yaml": {
              "schema": {
                "type": "string"
              }
            }
          }
        }
      }
    },
    "/api/v1/segments/{id}": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "schema": {
            "type": "integer",
            "minimum": 1
          }
        }
      ],
      "get": {
        "tags": [
          "Segments"
        ],
        "summary": "Get a segment",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The segment",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Segment"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadId"
          },
          "404": {
            "$ref": "#/components/responses/SegmentNotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "put": {
        "tags": [
          "Segments"
        ],
        "summary": "Replace a segment's rule (the name stays); membership is computed again",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The segment",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Segment"
                }
              }
            }
          },
          "400": {
            "description": "The definition is invalid: `field` is the path in the rule (`match.all[1].within`); YAML bodies also get `line`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/SegmentNotFound"
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/SegmentDefinition"
              }
            },
            "application/yaml": {
              "schema": {
                "type": "string",
                "description": "The same definition as YAML; errors then carry the line."
              }
            }
          }
        }
      },
      "delete": {
        "tags": [
          "Segments"
        ],
        "summary": "Delete a segment",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted"
          },
          "400": {
            "$ref": "#/components/responses/BadId"
          },
          "404": {
            "$ref": "#/components/responses/SegmentNotFound"
          },
          "409": {
            "description": "Another segment refers to it with in_segment",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/segments/{id}/contacts": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "schema": {
            "type": "integer",
            "minimum": 1
          }
        },
        {
          "name": "limit",
          "in": "query",
          "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": 500
          }
        },
        {
          "name": "cursor",
          "in": "query",
          "schema": {
            "type": "string"
          }
        }
      ],
      "get": {
        "tags": [
          "Segments"
        ],
        "summary": "The segment's members, in contact id order",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "A page of members",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ContactPage"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadParameter"
          },
          "404": {
            "$ref": "#/components/responses/SegmentNotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/contacts/{id}/segments": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "schema": {
            "type": "integer",
            "minimum": 1
          }
        }
      ],
      "get": {
        "tags": [
          "Segments"
        ],
        "summary": "The contact's segments, and why each rule holds or not, condition by condition",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "Memberships with explanations",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ContactSegments"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadId"
          },
          "404": {
            "$ref": "#/components/responses/ContactNotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/contacts/{id}/score": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "schema": {
            "type": "integer",
            "minimum": 1
          }
        }
      ],
      "get": {
        "tags": [
          "Scoring"
        ],
        "summary": "The contact's fit grade, engagement and score, with the top reasons in words",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The score",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ContactScore"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadId"
          },
          "404": {
            "description": "No such contact, or no scoring model is set",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/scoring-model": {
      "get": {
        "tags": [
          "Scoring"
        ],
        "summary": "The scoring model in force",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The model as written",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ScoringModel"
                }
              }
            }
          },
          "404": {
            "description": "No model is set",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "put": {
        "tags": [
          "Scoring"
        ],
        "summary": "Put a scoring model in force; every contact is scored again from its history",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The model",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ScoringModel"
                }
              }
            }
          },
          "400": {
            "description": "The definition is invalid: `field` is the path in the rule (`match.all[1].within`); YAML bodies also get `line`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ScoringModel"
              }
            },
            "application/yaml": {
              "schema": {
                "type": "string"
              }
            }
          }
        }
      }
    },
    "/api/v1/workflows": {
      "get": {
        "tags": [
          "Workflows"
        ],
        "summary": "List workflows (newest version of each)",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The workflows",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "items"
                  ],
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/Workflow"
                      }
                    }
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "post": {
        "tags": [
          "Workflows"
        ],
        "summary": "Upload a workflow as its next version (a draft, or published with ?publish=true)",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "201": {
            "description": "Stored",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Workflow"
                }
              }
            }
          },
          "400": {
            "description": "The workflow is invalid: `field` is the path (`steps[3].wait`); YAML bodies also get `line`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/WorkflowDefinition"
              }
            },
            "application/yaml": {
              "schema": {
                "type": "string"
              }
            }
          }
        },
        "parameters": [
          {
            "name": "publish",
            "in": "query",
            "schema": {
              "type": "string",
              "enum": [
                "true",
                "false"
              ]
            }
          }
        ],
        "description": "The file format is described in docs/workflows.md."
      }
    },
    "/api/v1/workflows/{name}": {
      "parameters": [
        {
          "name": "name",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string",
            "pattern": "^[a-z0-9_-]{1,64}$"
          }
        }
      ],
      "get": {
        "tags": [
          "Workflows"
        ],
        "summary": "A workflow: its newest version, its definition and per-step counts",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The workflow",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/WorkflowDetail"
                }
              }
            }
          },
          "404": {
            "description": "No such workflow",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/workflows/{name}/publish": {
      "parameters": [
        {
          "name": "name",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string",
            "pattern": "^[a-z0-9_-]{1,64}$"
          }
        }
      ],
      "post": {
        "tags": [
          "Workflows"
        ],
        "summary": "Publish the newest version: new entries start on it; runs stay on theirs",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The workflow",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Workflow"
                }
              }
            }
          },
          "404": {
            "description": "No such workflow",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/workflows/{name}/pause": {
      "parameters": [
        {
          "name": "name",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string",
            "pattern": "^[a-z0-9_-]{1,64}$"
          }
        }
      ],
      "post": {
        "tags": [
          "Workflows"
        ],
        "summary": "Pause: no new entries, runs hold",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The workflow",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Workflow"
                }
              }
            }
          },
          "404": {
            "description": "No such workflow",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/workflows/{name}/archive": {
      "parameters": [
        {
          "name": "name",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string",
            "pattern": "^[a-z0-9_-]{1,64}$"
          }
        }
      ],
      "post": {
        "tags": [
          "Workflows"
        ],
        "summary": "Archive: no new entries, runs hold",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The workflow",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Workflow"
                }
              }
            }
          },
          "404": {
            "description": "No such workflow",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/contacts/{id}/workflows": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "schema": {
            "type": "integer",
            "minimum": 1
          }
        }
      ],
      "get": {
        "tags": [
          "Workflows"
        ],
        "summary": "The contact's workflow runs with their actions",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "Runs",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "items"
                  ],
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/WorkflowRun"
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadId"
          },
          "404": {
            "$ref": "#/components/responses/ContactNotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/content": {
      "get": {
        "tags": [
          "Email"
        ],
        "summary": "The content library's templates",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "stage",
            "in": "query",
            "schema": {
              "type": "string",
              "enum": [
                "awareness",
                "consideration",
                "decision"
              ]
            }
          },
          {
            "name": "topic",
            "in": "query",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Templates",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "items"
                  ],
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/ContentTemplate"
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadParameter"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "description": "Email is not set up (no --config) or no SMTP server is configured; or the database cannot be reached (code unavailable; retry later)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/content/{name}": {
      "parameters": [
        {
          "name": "name",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string"
          },
          "description": "The template's name (its file name without .mustache)"
        }
      ],
      "get": {
        "tags": [
          "Email"
        ],
        "summary": "A template's sources",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The template",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ContentTemplate"
                }
              }
            }
          },
          "404": {
            "description": "No such template",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "description": "Email is not set up (no --config) or no SMTP server is configured; or the database cannot be reached (code unavailable; retry later)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/content/{name}/preview": {
      "parameters": [
        {
          "name": "name",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string"
          },
          "description": "The template's name (its file name without .mustache)"
        }
      ],
      "post": {
        "tags": [
          "Email"
        ],
        "summary": "The email as a contact would get it now, and what the guard rails would do",
        "security": [
          {
            "bearer": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "contactId"
                ],
                "properties": {
                  "contactId": {
                    "type": "integer",
                    "minimum": 1
                  }
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Rendered",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ContentPreview"
                }
              }
            }
          },
          "400": {
            "description": "contactId missing or not a number, or the body is not JSON",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "No such template or contact",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "422": {
            "description": "The template cannot be rendered",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "description": "Email is not set up (no --config) or no SMTP server is configured; or the database cannot be reached (code unavailable; retry later)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/content/{name}/test-send": {
      "parameters": [
        {
          "name": "name",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string"
          },
          "description": "The template's name (its file name without .mustache)"
        }
      ],
      "post": {
        "tags": [
          "Email"
        ],
        "summary": "Send the template, with a contact's data, to a colleague's address",
        "description": "Marked [Test] in the subject, untracked; its unsubscribe link changes nothing.",
        "security": [
          {
            "bearer": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "contactId",
                  "to"
                ],
                "properties": {
                  "contactId": {
                    "type": "integer",
                    "minimum": 1
                  },
                  "to": {
                    "type": "string",
                    "format": "email"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "202": {
            "description": "Queued",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/EmailSend"
                }
              }
            }
          },
          "400": {
            "description": "contactId or to is invalid",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "No such template or contact",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "description": "Email is not set up (no --config) or no SMTP server is configured; or the database cannot be reached (code unavailable; retry later)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/contacts/{id}/emails": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "schema": {
            "type": "integer",
            "minimum": 1
          }
        }
      ],
      "get": {
        "tags": [
          "Email"
        ],
        "summary": "The contact's emails, newest first",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "Sends",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "items"
                  ],
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/EmailSend"
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadId"
          },
          "404": {
            "$ref": "#/components/responses/ContactNotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/emails/stats": {
      "get": {
        "tags": [
          "Email"
        ],
        "summary": "Sends by status",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "Counts",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "byStatus"
                  ],
                  "properties": {
                    "byStatus": {
                      "type": "object",
                      "additionalProperties": {
                        "type": "integer"
                      }
                    }
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/suppressions": {
      "get": {
        "tags": [
          "Email"
        ],
        "summary": "The suppression list, by address",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "cursor",
            "in": "query",
            "schema": {
              "type": "string"
            },
            "description": "The next value of the previous page"
          },
          {
            "name": "limit",
            "in": "query",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1000
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Suppressed addresses",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "items",
                    "next"
                  ],
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/Suppression"
                      }
                    },
                    "next": {
                      "type": [
                        "string",
                        "null"
                      ]
                    }
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "400": {
            "$ref": "#/components/responses/BadParameter"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "post": {
        "tags": [
          "Email"
        ],
        "summary": "Suppress an address by hand",
        "security": [
          {
            "bearer": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "email"
                ],
                "properties": {
                  "email": {
                    "type": "string",
                    "format": "email"
                  },
                  "detail": {
                    "type": "string"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Suppressed",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          },
          "400": {
            "description": "email is not an address",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/suppressions/{email}": {
      "parameters": [
        {
          "name": "email",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string"
          }
        }
      ],
      "delete": {
        "tags": [
          "Email"
        ],
        "summary": "Take an address off the suppression list",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "204": {
            "description": "Removed"
          },
          "404": {
            "description": "The address is not suppressed",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/inbound": {
      "post": {
        "tags": [
          "Email"
        ],
        "summary": "A bounce (RFC 3464 DSN), complaint (RFC 5965 ARF) or mailto unsubscribe, posted raw",
        "security": [
          {
            "bearer": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "message/rfc822": {
              "schema": {
                "type": "string"
              }
            },
            "text/plain": {
              "schema": {
                "type": "string"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Processed",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InboundOutcome"
                }
              }
            }
          },
          "413": {
            "description": "Larger than 2 MiB",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "Not a report Trellis understands",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/u/{token}": {
      "parameters": [
        {
          "name": "token",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string"
          },
          "description": "A signed token from an email"
        }
      ],
      "get": {
        "tags": [
          "Email links"
        ],
        "summary": "The preference center (a GET never unsubscribes: mail scanners fetch links)",
        "responses": {
          "200": {
            "description": "The preference center",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "description": "The token is malformed, edited or signed by another server: nothing changes and nothing redirects",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "503": {
            "description": "Email is not set up (no --config) or no SMTP server is configured; or the database cannot be reached (code unavailable; retry later)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "429": {
            "$ref": "#/components/responses/RateLimited"
          }
        }
      },
      "post": {
        "tags": [
          "Email links"
        ],
        "summary": "RFC 8058 one-click unsubscribe",
        "description": "No cookie or login; unsubscribes at once and answers 200 without a redirect.",
        "requestBody": {
          "required": true,
          "content": {
            "application/x-www-form-urlencoded": {
              "schema": {
                "type": "object",
                "required": [
                  "List-Unsubscribe"
                ],
                "properties": {
                  "List-Unsubscribe": {
                    "type": "string",
                    "const": "One-Click"
                  }
                }
              }
            },
            "multipart/form-data": {
              "schema": {
                "type": "object",
                "required": [
                  "List-Unsubscribe"
                ],
                "properties": {
                  "List-Unsubscribe": {
                    "type": "string",
                    "const": "One-Click"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Unsubscribed",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "description": "A bad token, or a body without List-Unsubscribe=One-Click",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "503": {
            "description": "Email is not set up (no --config) or no SMTP server is configured; or the database cannot be reached (code unavailable; retry later)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "429": {
            "$ref": "#/components/responses/RateLimited"
          }
        }
      }
    },
    "/u/{token}/preferences": {
      "parameters": [
        {
          "name": "token",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string"
          },
          "description": "A signed token from an email"
        }
      ],
      "post": {
        "tags": [
          "Email links"
        ],
        "summary": "Save topic and frequency choices, or unsubscribe from all",
        "requestBody": {
          "required": true,
          "content": {
            "application/x-www-form-urlencoded": {
              "schema": {
                "type": "object",
                "properties": {
                  "action": {
                    "type": "string",
                    "enum": [
                      "save",
                      "unsubscribe_all"
                    ]
                  },
                  "frequency": {
                    "type": "string",
                    "enum": [
                      "normal",
                      "weekly",
                      "monthly"
                    ]
                  }
                },
                "additionalProperties": {
                  "type": "string",
                  "description": "topic_NAME=on keeps a topic"
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Saved",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "description": "The token is malformed, edited or signed by another server: nothing changes and nothing redirects",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "415": {
            "description": "Not a urlencoded form",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "503": {
            "description": "Email is not set up (no --config) or no SMTP server is configured; or the database cannot be reached (code unavailable; retry later)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "429": {
            "$ref": "#/components/responses/RateLimited"
          }
        }
      }
    },
    "/t/o/{token}": {
      "parameters": [
        {
          "name": "token",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string"
          },
          "description": "A signed token from an email"
        }
      ],
      "get": {
        "tags": [
          "Email links"
        ],
        "summary": "The open pixel",
        "responses": {
          "200": {
            "description": "A 1×1 GIF",
            "content": {
              "image/gif": {
                "schema": {
                  "type": "string",
                  "format": "binary"
                }
              }
            }
          },
          "400": {
            "description": "The token is malformed, edited or signed by another server: nothing changes and nothing redirects",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "503": {
            "description": "Email is not set up (no --config) or no SMTP server is configured; or the database cannot be reached (code unavailable; retry later)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/t/c/{token}": {
      "parameters": [
        {
          "name": "token",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string"
          },
          "description": "A signed token from an email"
        }
      ],
      "get": {
        "tags": [
          "Email links"
        ],
        "summary": "The click redirect: only to the address signed into the token",
        "responses": {
          "302": {
            "description": "To the link's target",
            "headers": {
              "Location": {
                "schema": {
                  "type": "string",
                  "format": "uri"
                }
              }
            }
          },
          "400": {
            "description": "The token is malformed, edited or signed by another server: nothing changes and nothing redirects",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "503": {
            "description": "Email is not set up (no --config) or no SMTP server is configured; or the database cannot be reached (code unavailable; retry later)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/handoffs": {
      "get": {
        "tags": [
          "Sales"
        ],
        "summary": "The sales queue, newest first",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "status",
            "in": "query",
            "schema": {
              "type": "string",
              "enum": [
                "open",
                "accepted",
                "rejected",
                "recycled",
                "opportunity",
                "won",
                "lost"
              ]
            }
          },
          {
            "name": "owner",
            "in": "query",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "contactId",
            "in": "query",
            "schema": {
              "type": "integer",
              "minimum": 1
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Handoffs",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "items"
                  ],
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/Handoff"
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadParameter"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/handoffs/{id}": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "schema": {
            "type": "integer",
            "minimum": 1
          }
        }
      ],
      "get": {
        "tags": [
          "Sales"
        ],
        "summary": "One handoff with its storyline",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The handoff",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Handoff"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadId"
          },
          "404": {
            "description": "No such handoff",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/handoffs/{id}/feedback": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "schema": {
            "type": "integer",
            "minimum": 1
          }
        }
      ],
      "post": {
        "tags": [
          "Sales"
        ],
        "summary": "Sales feedback: moves the lifecycle stage",
        "description": "accepted → SAL; rejected → disqualified or back to nurture (handoff.rejected); recycled → recycled; opportunity → opportunity; won → customer; lost → recycled.",
        "security": [
          {
            "bearer": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/Feedback"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Updated",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Handoff"
                }
              }
            }
          },
          "400": {
            "description": "A missing or unknown outcome or reason",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "No such handoff",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "The handoff is closed (won or lost)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/handoffs/rejections": {
      "get": {
        "tags": [
          "Sales"
        ],
        "summary": "Rejections by reason, per source and per segment",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "Counts",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "items"
                  ],
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "type": "object",
                        "properties": {
                          "reason": {
                            "type": "string"
                          },
                          "by": {
                            "type": "string",
                            "enum": [
                              "source",
                              "segment"
                            ]
                          },
                          "value": {
                            "type": "string"
                          },
                          "count": {
                            "type": "integer"
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/crm/callback": {
      "post": {
        "tags": [
          "Sales"
        ],
        "summary": "The CRM's feedback on a handoff, signed like Trellis's webhooks",
        "description": "X-Trellis-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\" with the webhook secret>, at most 5 minutes old.",
        "parameters": [
          {
            "name": "X-Trellis-Signature",
            "in": "header",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "allOf": [
                  {
                    "$ref": "#/components/schemas/Feedback"
                  },
                  {
                    "type": "object",
                    "required": [
                      "handoffId"
                    ],
                    "properties": {
                      "handoffId": {
                        "type": "integer"
                      }
                    }
                  }
                ]
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Updated",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Handoff"
                }
              }
            }
          },
          "400": {
            "description": "Bad JSON or fields",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "description": "A missing, wrong or stale signature",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "No webhook configured, or no such handoff",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "The handoff is closed",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/webhooks/deliveries": {
      "get": {
        "tags": [
          "Sales"
        ],
        "summary": "CRM webhook deliveries; status=dead lists the dead letters",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "status",
            "in": "query",
            "schema": {
              "type": "string",
              "enum": [
                "pending",
                "sending",
                "delivered",
                "dead"
              ]
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Deliveries",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "items"
                  ],
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "type": "object"
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadParameter"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/h/{token}": {
      "parameters": [
        {
          "name": "token",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string"
          },
          "description": "A signed token from the owner's alert email"
        }
      ],
      "get": {
        "tags": [
          "Sales"
        ],
        "summary": "The owner's accept / reject / recycle page (a GET changes nothing)",
        "parameters": [
          {
            "name": "action",
            "in": "query",
            "schema": {
              "type": "string",
              "enum": [
                "accept",
                "reject",
                "recycle"
              ]
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The page with one button",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "description": "A bad token",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "404": {
            "description": "No such handoff",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "post": {
        "tags": [
          "Sales"
        ],
        "summary": "Apply the owner's choice",
        "requestBody": {
          "required": true,
          "content": {
            "application/x-www-form-urlencoded": {
              "schema": {
                "type": "object",
                "required": [
                  "action"
                ],
                "properties": {
                  "action": {
                    "type": "string",
                    "enum": [
                      "accept",
                      "reject",
                      "recycle"
                    ]
                  },
                  "reason": {
                    "type": "string",
                    "enum": [
                      "not_a_fit",
                      "no_budget",
                      "bad_timing",
                      "duplicate",
                      "other"
                    ]
                  },
                  "note": {
                    "type": "string"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Done",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "description": "A bad token, action or reason",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "404": {
            "description": "No such handoff",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "409": {
            "description": "The handoff is closed",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/reports/funnel": {
      "get": {
        "tags": [
          "Reports"
        ],
        "summary": "The funnel of leads captured in a period, with the prior period of the same length",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "from",
            "in": "query",
            "required": true,
            "schema": {
              "type": "string",
              "format": "date"
            },
            "description": "A day from 1900-01-01 to 2999-12-31"
          },
          {
            "name": "to",
            "in": "query",
            "required": true,
            "schema": {
              "type": "string",
              "format": "date"
            },
            "description": "A day from 1900-01-01 to 2999-12-31, exclusive"
          },
          {
            "name": "by",
            "in": "query",
            "schema": {
              "type": "string",
              "enum": [
                "total",
                "source",
                "week",
                "segment",
                "workflow",
                "variant",
                "step"
              ]
            },
            "description": "segment, workflow, variant (workflow: arm of a split) and step (workflow: step that sent, handed off, updated or enrolled) count a lead in each of its groups, or in none"
          }
        ],
        "responses": {
          "200": {
            "description": "The report",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "by": {
                      "type": "string"
                    },
                    "current": {
                      "type": "object",
                      "properties": {
                        "from": {
                          "type": "string",
                          "format": "date-time"
                        },
                        "to": {
                          "type": "string",
                          "format": "date-time"
                        },
                        "total": {
                          "$ref": "#/components/schemas/FunnelFigures"
                        },
                        "groups": {
                          "type": "object",
                          "additionalProperties": {
                            "$ref": "#/components/schemas/FunnelFigures"
                          }
                        }
                      }
                    },
                    "prior": {
                      "type": "object",
                      "properties": {
                        "from": {
                          "type": "string",
                          "format": "date-time"
                        },
                        "to": {
                          "type": "string",
                          "format": "date-time"
                        },
                        "total": {
                          "$ref": "#/components/schemas/FunnelFigures"
                        },
                        "groups": {
                          "type": "object",
                          "additionalProperties": {
                            "$ref": "#/components/schemas/FunnelFigures"
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "A missing or bad from, to or by",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/reports/experiments/{workflow}": {
      "parameters": [
        {
          "name": "workflow",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string"
          }
        }
      ],
      "get": {
        "tags": [
          "Reports"
        ],
        "summary": "A/B and holdout: conversion to the goal per split variant, p-values and lift",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "goal",
            "in": "query",
            "schema": {
              "type": "string"
            },
            "description": "The goal event; defaults to the workflow's first exit_when event"
          }
        ],
        "responses": {
          "200": {
            "description": "Results",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "workflow": {
                      "type": "string"
                    },
                    "goal": {
                      "type": "string"
                    },
                    "arms": {
                      "type": "array",
                      "items": {
                        "type": "object",
                        "properties": {
                          "name": {
                            "type": "string"
                          },
                          "entered": {
                            "type": "integer"
                          },
                          "converted": {
                            "type": "integer"
                          },
                          "rate": {
                            "type": [
                              "number",
                              "null"
                            ]
                          },
                          "interval95": {
                            "type": [
                              "array",
                              "null"
                            ],
                            "items": {
                              "type": [
                                "number",
                                "null"
                              ]
                            }
                          }
                        }
                      }
                    },
                    "holdout": {
                      "oneOf": [
                        {
                          "type": "object",
                          "properties": {
                            "name": {
                              "type": "string"
                            },
                            "entered": {
                              "type": "integer"
                            },
                            "converted": {
                              "type": "integer"
                            },
                            "rate": {
                              "type": [
                                "number",
                                "null"
                              ]
                            },
                            "interval95": {
                              "type": [
                                "array",
                                "null"
                              ],
                              "items": {
                                "type": [
                                  "number",
                                  "null"
                                ]
                              }
                            }
                          }
                        },
                        {
                          "type": "null"
                        }
                      ]
                    },
                    "comparisons": {
                      "type": "array",
                      "items": {
                        "type": "object",
                        "properties": {
                          "arm": {
                            "type": "string"
                          },
                          "baseline": {
                            "type": "string"
                          },
                          "lift": {
                            "type": [
                              "number",
                              "null"
                            ]
                          },
                          "pValue": {
                            "type": [
                              "number",
                              "null"
                            ]
                          },
                          "confidence": {
                            "type": [
                              "number",
                              "null"
                            ]
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "No goal given and none in the workflow",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "No such workflow",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/reports/email": {
      "get": {
        "tags": [
          "Reports"
        ],
        "summary": "Email engagement of the sends of a period by template (people only; scanner hits excluded), and the re-engagement rate of inactivity workflows",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "from",
            "in": "query",
            "required": true,
            "schema": {
              "type": "string",
              "format": "date"
            },
            "description": "A day from 1900-01-01 to 2999-12-31"
          },
          {
            "name": "to",
            "in": "query",
            "required": true,
            "description": "A day from 1900-01-01 to 2999-12-31, exclusive",
            "schema": {
              "type": "string",
              "format": "date"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Sent, opened, clicked and unsubscribed, with rates (null when nothing was sent)",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "from": {
                      "type": "string"
                    },
                    "to": {
                      "type": "string"
                    },
                    "email": {
                      "allOf": [
                        {
                          "type": "object",
                          "properties": {
                            "sent": {
                              "type": "integer"
                            },
                            "opened": {
                              "type": "integer"
                            },
                            "clicked": {
                              "type": "integer"
                            },
                            "unsubscribed": {
                              "type": "integer"
                            },
                            "openRate": {
                              "type": [
                                "number",
                                "null"
                              ]
                            },
                            "clickRate": {
                              "type": [
                                "number",
                                "null"
                              ]
                            },
                            "clickToOpenRate": {
                              "type": [
                                "number",
                                "null"
                              ]
                            },
                            "unsubscribeRate": {
                              "type": [
                                "number",
                                "null"
                              ]
                            },
                            "template": {
                              "type": "string"
                            }
                          }
                        },
                        {
                          "type": "object",
                          "properties": {
                            "templates": {
                              "type": "array",
                              "items": {
                                "type": "object",
                                "properties": {
                                  "sent": {
                                    "type": "integer"
                                  },
                                  "opened": {
                                    "type": "integer"
                                  },
                                  "clicked": {
                                    "type": "integer"
                                  },
                                  "unsubscribed": {
                                    "type": "integer"
                                  },
                                  "openRate": {
                                    "type": [
                                      "number",
                                      "null"
                                    ]
                                  },
                                  "clickRate": {
                                    "type": [
                                      "number",
                                      "null"
                                    ]
                                  },
                                  "clickToOpenRate": {
                                    "type": [
                                      "number",
                                      "null"
                                    ]
                                  },
                                  "unsubscribeRate": {
                                    "type": [
                                      "number",
                                      "null"
                                    ]
                                  },
                                  "template": {
                                    "type": "string"
                                  }
                                }
                              }
                            }
                          }
                        }
                      ]
                    },
                    "reengagement": {
                      "type": "object",
                      "properties": {
                        "workflows": {
                          "type": "array",
                          "items": {
                            "type": "string"
                          }
                        },
                        "entered": {
                          "type": "integer"
                        },
                        "reengaged": {
                          "type": "integer"
                        },
                        "rate": {
                          "type": [
                            "number",
                            "null"
                          ]
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "A missing or malformed date, or to not after from",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "description": "No or unknown API key",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "The key's role may not read reports",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/reports/attribution": {
      "get": {
        "tags": [
          "Reports"
        ],
        "summary": "Influenced pipeline credited to the campaigns, emails and forms before each opportunity",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "model",
            "in": "query",
            "schema": {
              "type": "string",
              "enum": [
                "first_touch",
                "last_touch",
                "linear",
                "position_based"
              ]
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Credit by touch",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "model": {
                      "type": "string"
                    },
                    "influencedPipeline": {
                      "type": "number"
                    },
                    "unattributed": {
                      "type": "number"
                    },
                    "items": {
                      "type": "array",
                      "items": {
                        "type": "object",
                        "properties": {
                          "touch": {
                            "type": "string"
                          },
                          "pipeline": {
                            "type": "number"
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "An unknown model",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/audit": {
      "get": {
        "tags": [
          "Keys and audit"
        ],
        "summary": "The audit log, newest first: every change made through the management API or the console (a POST, PUT, PATCH or DELETE answered below 400) and by the CLI's keys and users commands. Admin keys only.",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "limit",
            "in": "query",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1000,
              "default": 100
            }
          },
          {
            "name": "cursor",
            "in": "query",
            "description": "The `next` value of the previous page",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Entries",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "items",
                    "next"
                  ],
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/AuditEntry"
                      }
                    },
                    "next": {
                      "type": [
                        "string",
                        "null"
                      ]
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadParameter"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/contacts/{id}/export": {
      "get": {
        "tags": [
          "Contacts"
        ],
        "summary": "GDPR export: everything kept about the contact as one JSON document (profile, account, consent evidence, every event, emails, segments, score, workflow runs, handoffs)",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "integer",
              "minimum": 1
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The export (Content-Disposition: attachment)",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "exportedAt",
                    "contact",
                    "consentRecords",
                    "events",
                    "emails",
                    "segments",
                    "workflows",
                    "handoffs"
                  ],
                  "properties": {
                    "exportedAt": {
                      "type": "string",
                      "format": "date-time"
                    },
                    "contact": {
                      "$ref": "#/components/schemas/Contact"
                    },
                    "account": {},
                    "consentRecords": {
                      "type": "array"
                    },
                    "events": {
                      "type": "array"
                    },
                    "emails": {
                      "type": "array"
                    },
                    "segments": {
                      "type": "array"
                    },
                    "score": {},
                    "workflows": {
                      "type": "array"
                    },
                    "handoffs": {
                      "type": "array"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadId"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/ContactNotFound"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/contacts/{id}/erase": {
      "post": {
        "tags": [
          "Contacts"
        ],
        "summary": "GDPR erasure: the contact's personal data is deleted (profile, identifiers, events, consent records, memberships, scores, runs); sends and handoffs stay for the reports without address, storyline or payload; the address stays only as a SHA-256 hash in the suppression list (reason erased), so no tracking call, form or import brings it back until that suppression is removed. Needs a key that may delete contacts.",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "integer",
              "minimum": 1
            }
          }
        ],
        "responses": {
          "200": {
            "description": "What was removed",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "contactId",
                    "erased",
                    "events",
                    "consentRecords",
                    "sendsKept",
                    "handoffsKept",
                    "addressesSuppressed"
                  ],
                  "properties": {
                    "contactId": {
                      "type": "integer"
                    },
                    "erased": {
                      "type": "boolean"
                    },
                    "events": {
                      "type": "integer"
                    },
                    "consentRecords": {
                      "type": "integer"
                    },
                    "sendsKept": {
                      "type": "integer"
                    },
                    "handoffsKept": {
                      "type": "integer"
                    },
                    "addressesSuppressed": {
                      "type": "integer"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadId"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/ContactNotFound"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/reports/consent": {
      "get": {
        "tags": [
          "Reports"
        ],
        "summary": "Consent evidence recorded in a period: counts (JSON) or every record with the contact's address, the exact text and version shown, where, the IP address and user agent (CSV)",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "from",
            "in": "query",
            "required": true,
            "description": "A day from 1900-01-01 to 2999-12-31",
            "schema": {
              "type": "string",
              "format": "date"
            }
          },
          {
            "name": "to",
            "in": "query",
            "required": true,
            "description": "A day from 1900-01-01 to 2999-12-31, exclusive",
            "schema": {
              "type": "string",
              "format": "date"
            }
          },
          {
            "name": "format",
            "in": "query",
            "schema": {
              "type": "string",
              "enum": [
                "json",
                "csv"
              ],
              "default": "json"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The report",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "from",
                    "to",
                    "records",
                    "contacts",
                    "byChannelAndStatus",
                    "byMethod",
                    "byTextVersion",
                    "grantsWithoutText"
                  ],
                  "properties": {
                    "from": {
                      "type": "string",
                      "format": "date-time"
                    },
                    "to": {
                      "type": "string",
                      "format": "date-time"
                    },
                    "records": {
                      "type": "integer"
                    },
                    "contacts": {
                      "type": "integer"
                    },
                    "byChannelAndStatus": {
                      "type": "object",
                      "additionalProperties": {
                        "type": "integer"
                      }
                    },
                    "byMethod": {
                      "type": "object",
                      "additionalProperties": {
                        "type": "integer"
                      }
                    },
                    "byTextVersion": {
                      "type": "object",
                      "additionalProperties": {
                        "type": "integer"
                      }
                    },
                    "grantsWithoutText": {
                      "type": "integer"
                    }
                  }
                }
              },
              "text/csv": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadParameter"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/keys": {
      "get": {
        "tags": [
          "Keys and audit"
        ],
        "summary": "API keys: ids, names, roles, prefixes and sources (the secrets are not stored). Admin keys only; create keys with `trellis keys create`.",
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "Keys",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "items"
                  ],
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "type": "object",
                        "required": [
                          "id",
                          "name",
                          "role",
                          "prefix",
                          "source",
                          "createdAt"
                        ],
                        "properties": {
                          "id": {
                            "type": "string"
                          },
                          "name": {
                            "type": "string"
                          },
                          "role": {
                            "type": "string",
                            "enum": [
                              "admin",
                              "marketer",
                              "sales",
                              "read",
                              "write"
                            ]
                          },
                          "prefix": {
                            "type": "string"
                          },
                          "source": {
                            "type": "string"
                          },
                          "createdAt": {
                            "type": "string",
                            "format": "date-time"
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/v1/keys/{id}": {
      "delete": {
        "tags": [
          "Keys and audit"
        ],
        "summary": "Revoke a key: this server refuses it at once, other processes within 30 s. A key cannot revoke itself.",
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "204": {
            "description": "Revoked"
          },
          "404": {
            "description": "No such key",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "The key tried to revoke itself",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    }
  },
  "components": {
    "schemas": {
      "Error": {
        "type": "object",
        "required": [
          "error"
        ],
        "properties": {
          "error": {
            "type": "object",
            "required": [
              "code",
              "message"
            ],
            "properties": {
              "code": {
                "type": "string",
                "description": "A stable machine-readable word"
              },
              "message": {
                "type": "string"
              },
              "field": {
                "type": "string",
                "description": "Path of the offending field, e.g. batch[3].event"
              },
              "fields": {
                "type": "array",
                "items": {
                  "type": "object",
                  "properties": {
                    "field": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "SourceSettings": {
        "type": "object",
        "required": [
          "integrations",
          "metrics"
        ],
        "properties": {
          "integrations": {
            "type": "object",
            "required": [
              "Segment.io"
            ],
            "properties": {
              "Segment.io": {
                "type": "object",
                "required": [
                  "apiKey",
                  "apiHost",
                  "protocol"
                ],
                "properties": {
                  "apiKey": {
                    "type": "string"
                  },
                  "apiHost": {
                    "type": "string",
                    "description": "Host, port and path of the tracking API, without the scheme: trellis.example.com/v1"
                  },
                  "protocol": {
                    "type": "string",
                    "enum": [
                      "http",
                      "https"
                    ]
                  },
                  "retryQueue": {
                    "type": "boolean"
                  },
                  "addBundledMetadata": {
                    "type": "boolean"
                  },
                  "unbundledIntegrations": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  },
                  "maybeBundledConfigIds": {
                    "type": "object"
                  }
                }
              }
            }
          },
          "plan": {
            "type": "object"
          },
          "metrics": {
            "type": "object",
            "properties": {
              "sampleRate": {
                "type": "number"
              }
            }
          },
          "middlewareSettings": {
            "type": "object"
          },
          "enabledMiddleware": {
            "type": "object"
          },
          "legacyVideoPluginsEnabled": {
            "type": "boolean"
          },
          "remotePlugins": {
            "type": "array"
          }
        }
      },
      "TrackingAccepted": {
        "type": "object",
        "required": [
          "success"
        ],
        "properties": {
          "success": {
            "type": "boolean"
          },
          "stored": {
            "type": "integer"
          },
          "duplicates": {
            "type": "integer"
          },
          "erased": {
            "type": "integer",
            "description": "Identify calls naming an address erased on request (GDPR): not stored"
          }
        }
      },
      "Identify": {
        "type": "object",
        "properties": {
          "messageId": {
            "type": "string",
            "description": "Deduplication key: a message whose messageId was already stored for the source is skipped"
          },
          "userId": {
            "type": [
              "string",
              "number"
            ]
          },
          "anonymousId": {
            "type": [
              "string",
              "number"
            ]
          },
          "context": {
            "type": "object",
            "additionalProperties": true
          },
          "integrations": {
            "type": "object",
            "additionalProperties": true
          },
          "timestamp": {
            "type": "string",
            "format": "date-time",
            "description": "When it happened, by the sender's clock"
          },
          "originalTimestamp": {
            "type": "string",
            "format": "date-time"
          },
          "sentAt": {
            "type": "string",
            "format": "date-time",
            "description": "When it was sent, by the sender's clock; with timestamp it corrects clock skew"
          },
          "traits": {
            "type": "object",
            "additionalProperties": true
          }
        },
        "required": [],
        "additionalProperties": true
      },
      "Track": {
        "type": "object",
        "properties": {
          "messageId": {
            "type": "string",
            "description": "Deduplication key: a message whose messageId was already stored for the source is skipped"
          },
          "userId": {
            "type": [
              "string",
              "number"
            ]
          },
          "anonymousId": {
            "type": [
              "string",
              "number"
            ]
          },
          "context": {
            "type": "object",
            "additionalProperties": true
          },
          "integrations": {
            "type": "object",
            "additionalProperties": true
          },
          "timestamp": {
            "type": "string",
            "format": "date-time",
            "description": "When it happened, by the sender's clock"
          },
          "originalTimestamp": {
            "type": "string",
            "format": "date-time"
          },
          "sentAt": {
            "type": "string",
            "format": "date-time",
            "description": "When it was sent, by the sender's clock; with timestamp it corrects clock skew"
          },
          "event": {
            "type": "string",
            "minLength": 1
          },
          "properties": {
            "type": "object",
            "additionalProperties": true
          }
        },
        "required": [
          "event"
        ],
        "additionalProperties": true
      },
      "Page": {
        "type": "object",
        "properties": {
          "messageId": {
            "type": "string",
            "description": "Deduplication key: a message whose messageId was already stored for the source is skipped"
          },
          "userId": {
            "type": [
              "string",
              "number"
            ]
          },
          "anonymousId": {
            "type": [
              "string",
              "number"
            ]
          },
          "context": {
            "type": "object",
            "additionalProperties": true
          },
          "integrations": {
            "type": "object",
            "additionalProperties": true
          },
          "timestamp": {
            "type": "string",
            "format": "date-time",
            "description": "When it happened, by the sender's clock"
          },
          "originalTimestamp": {
            "type": "string",
            "format": "date-time"
          },
          "sentAt": {
            "type": "string",
            "format": "date-time",
            "description": "When it was sent, by the sender's clock; with timestamp it corrects clock skew"
          },
          "name": {
            "type": "string"
          },
          "category": {
            "type": "string"
          },
          "properties": {
            "type": "object",
            "additionalProperties": true
          }
        },
        "required": [],
        "additionalProperties": true
      },
      "Screen": {
        "type": "object",
        "properties": {
          "messageId": {
            "type": "string",
            "description": "Deduplication key: a message whose messageId was already stored for the source is skipped"
          },
          "userId": {
            "type": [
              "string",
              "number"
            ]
          },
          "anonymousId": {
            "type": [
              "string",
              "number"
            ]
          },
          "context": {
            "type": "object",
            "additionalProperties": true
          },
          "integrations": {
            "type": "object",
            "additionalProperties": true
          },
          "timestamp": {
            "type": "string",
            "format": "date-time",
            "description": "When it happened, by the sender's clock"
          },
          "originalTimestamp": {
            "type": "string",
            "format": "date-time"
          },
          "sentAt": {
            "type": "string",
            "format": "date-time",
            "description": "When it was sent, by the sender's clock; with timestamp it corrects clock skew"
          },
          "name": {
            "type": "string"
          },
          "properties": {
            "type": "object",
            "additionalProperties": true
          }
        },
        "required": [],
        "additionalProperties": true
      },
      "Group": {
        "type": "object",
        "properties": {
          "messageId": {
            "type": "string",
            "description": "Deduplication key: a message whose messageId was already stored for the source is skipped"
          },
          "userId": {
            "type": [
              "string",
              "number"
            ]
          },
          "anonymousId": {
            "type": [
              "string",
              "number"
            ]
          },
          "context": {
            "type": "object",
            "additionalProperties": true
          },
          "integrations": {
            "type": "object",
            "additionalProperties": true
          },
          "timestamp": {
            "type": "string",
            "format": "date-time",
            "description": "When it happened, by the sender's clock"
          },
          "originalTimestamp": {
            "type": "string",
            "format": "date-time"
          },
          "sentAt": {
            "type": "string",
            "format": "date-time",
            "description": "When it was sent, by the sender's clock; with timestamp it corrects clock skew"
          },
          "groupId": {
            "type": [
              "string",
              "number"
            ]
          },
          "traits": {
            "type": "object",
            "additionalProperties": true
          }
        },
        "required": [
          "groupId"
        ],
        "additionalProperties": true
      },
      "Alias": {
        "type": "object",
        "properties": {
          "messageId": {
            "type": "string",
            "description": "Deduplication key: a message whose messageId was already stored for the source is skipped"
          },
          "userId": {
            "type": [
              "string",
              "number"
            ]
          },
          "anonymousId": {
            "type": [
              "string",
              "number"
            ]
          },
          "context": {
            "type": "object",
            "additionalProperties": true
          },
          "integrations": {
            "type": "object",
            "additionalProperties": true
          },
          "timestamp": {
            "type": "string",
            "format": "date-time",
            "description": "When it happened, by the sender's clock"
          },
          "originalTimestamp": {
            "type": "string",
            "format": "date-time"
          },
          "sentAt": {
            "type": "string",
            "format": "date-time",
            "description": "When it was sent, by the sender's clock; with timestamp it corrects clock skew"
          },
          "previousId": {
            "type": [
              "string",
              "number"
            ]
          }
        },
        "required": [
          "userId",
          "previousId"
        ],
        "additionalProperties": true
      },
      "BatchMessage": {
        "type": "object",
        "required": [
          "type"
        ],
        "properties": {
          "type": {
            "type": "string",
            "enum": [
              "identify",
              "track",
              "page",
              "screen",
              "group",
              "alias"
            ]
          }
        },
        "additionalProperties": true
      },
      "Batch": {
        "type": "object",
        "required": [
          "batch"
        ],
        "properties": {
          "batch": {
            "type": "array",
            "minItems": 1,
            "items": {
              "$ref": "#/components/schemas/BatchMessage"
            }
          },
          "context": {
            "type": "object",
            "additionalProperties": true
          },
          "sentAt": {
            "type": "string",
            "format": "date-time"
          },
          "writeKey": {
            "type": "string"
          }
        }
      },
      "ChannelConsent": {
        "type": "object",
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "granted",
              "withdrawn"
            ]
          },
          "basis": {
            "type": "string",
            "enum": [
              "express",
              "implied"
            ]
          },
          "recordedAt": {
            "type": "string",
            "format": "date-time"
          },
          "expiresAt": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          }
        }
      },
      "Contact": {
        "type": "object",
        "required": [
          "id",
          "anonymousIds",
          "traits",
          "firstSeen",
          "lastSeen",
          "consent"
        ],
        "properties": {
          "id": {
            "type": "integer"
          },
          "userId": {
            "type": [
              "string",
              "null"
            ]
          },
          "anonymousIds": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "email": {
            "type": [
              "string",
              "null"
            ]
          },
          "traits": {
            "type": "object",
            "additionalProperties": true
          },
          "stage": {
            "type": [
              "string",
              "null"
            ],
            "enum": [
              "subscriber",
              "lead",
              "mql",
              "sal",
              "sql",
              "opportunity",
              "customer",
              "evangelist",
              "disqualified",
              "other",
              null
            ]
          },
          "owner": {
            "type": [
              "string",
              "null"
            ]
          },
          "accountId": {
            "type": [
              "integer",
              "null"
            ]
          },
          "firstSeen": {
            "type": "string",
            "format": "date-time"
          },
          "lastSeen": {
            "type": "string",
            "format": "date-time"
          },
          "consent": {
            "type": "object",
            "properties": {
              "email": {
                "$ref": "#/components/schemas/ChannelConsent"
              }
            }
          }
        }
      },
      "ContactPage": {
        "type": "object",
        "required": [
          "items",
          "next"
        ],
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Contact"
            }
          },
          "next": {
            "type": [
              "string",
              "null"
            ]
          }
        }
      },
      "ContactPatch": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "email": {
            "type": [
              "string",
              "null"
            ],
            "format": "email"
          },
          "traits": {
            "type": "object",
            "additionalProperties": true,
            "description": "Merged into the traits; a null value removes a trait"
          },
          "stage": {
            "type": [
              "string",
              "null"
            ]
          },
          "owner": {
            "type": [
              "string",
              "null"
            ]
          },
          "stageReason": {
            "type": "string",
            "description": "Required when the stage moves back in the funnel; stored on the stage change event."
          }
        }
      },
      "Event": {
        "type": "object",
        "required": [
          "seq",
          "messageId",
          "source",
          "type",
          "properties",
          "context",
          "timestamp",
          "receivedAt"
        ],
        "properties": {
          "seq": {
            "type": "integer"
          },
          "messageId": {
            "type": "string"
          },
          "source": {
            "type": "string"
          },
          "type": {
            "type": "string"
          },
          "event": {
            "type": [
              "string",
              "null"
            ]
          },
          "userId": {
            "type": [
              "string",
              "null"
            ]
          },
          "anonymousId": {
            "type": [
              "string",
              "null"
            ]
          },
          "groupId": {
            "type": "string"
          },
          "properties": {
            "type": "object",
            "additionalProperties": true
          },
          "context": {
            "type": "object",
            "additionalProperties": true
          },
          "timestamp": {
            "type": "string",
            "format": "date-time",
            "description": "When it happened (clock-skew corrected)"
          },
          "receivedAt": {
            "type": "string",
            "format": "date-time"
          },
          "sentAt": {
            "type": [
              "string",
              "null"
            ]
          },
          "originalTimestamp": {
            "type": [
              "string",
              "null"
            ]
          }
        }
      },
      "EventPage": {
        "type": "object",
        "required": [
          "items",
          "next"
        ],
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Event"
            }
          },
          "next": {
            "type": [
              "string",
              "null"
            ]
          }
        }
      },
      "ConsentRecord": {
        "type": "object",
        "properties": {
          "id": {
            "type": "integer"
          },
          "channel": {
            "type": "string"
          },
          "status": {
            "type": "string"
          },
          "basis": {
            "type": "string"
          },
          "method": {
            "type": "string"
          },
          "text": {
            "type": [
              "string",
              "null"
            ]
          },
          "textVersion": {
            "type": [
              "string",
              "null"
            ]
          },
          "location": {
            "type": [
              "string",
              "null"
            ]
          },
          "ipAddress": {
            "type": [
              "string",
              "null"
            ]
          },
          "userAgent": {
            "type": [
              "string",
              "null"
            ]
          },
          "recordedAt": {
            "type": "string",
            "format": "date-time"
          },
          "expiresAt": {
            "type": [
              "string",
              "null"
            ]
          }
        }
      },
      "Account": {
        "type": "object",
        "required": [
          "id",
          "groupId",
          "traits",
          "contacts"
        ],
        "properties": {
          "id": {
            "type": "integer"
          },
          "groupId": {
            "type": "string"
          },
          "name": {
            "type": [
              "string",
              "null"
            ]
          },
          "traits": {
            "type": "object",
            "additionalProperties": true
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          },
          "updatedAt": {
            "type": "string",
            "format": "date-time"
          },
          "contacts": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Contact"
            }
          }
        }
      },
      "FormField": {
        "type": "object",
        "required": [
          "name"
        ],
        "properties": {
          "name": {
            "type": "string"
          },
          "label": {
            "type": "string"
          },
          "type": {
            "type": "string",
            "enum": [
              "text",
              "email",
              "textarea",
              "select",
              "checkbox",
              "number",
              "tel",
              "url",
              "hidden"
            ]
          },
          "required": {
            "type": "boolean"
          },
          "options": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "placeholder": {
            "type": "string"
          },
          "max_length": {
            "type": "integer"
          },
          "trait": {
            "type": "string"
          },
          "progressive": {
            "type": "boolean"
          },
          "hide_if_known": {
            "type": "boolean"
          }
        }
      },
      "FormDefinition": {
        "type": "object",
        "required": [
          "key",
          "title",
          "fields"
        ],
        "properties": {
          "key": {
            "type": "string",
            "pattern": "^[a-z0-9_-]{1,64}$"
          },
          "title": {
            "type": "string"
          },
          "description": {
            "type": "string"
          },
          "submit_label": {
            "type": "string"
          },
          "success_message": {
            "type": "string"
          },
          "redirect": {
            "type": "string"
          },
          "fields": {
            "type": "array",
            "minItems": 1,
            "items": {
              "$ref": "#/components/schemas/FormField"
            }
          },
          "progressive_max": {
            "type": "integer",
            "minimum": 0,
            "maximum": 20
          },
          "consent": {
            "type": "object",
            "required": [
              "text",
              "version"
            ],
            "properties": {
              "text": {
                "type": "string"
              },
              "version": {
                "type": "string"
              },
              "required": {
                "type": "boolean"
              },
              "channel": {
                "type": "string"
              }
            }
          },
          "event": {
            "type": "string"
          },
          "stage": {
            "type": "string"
          }
        }
      },
      "Form": {
        "allOf": [
          {
            "$ref": "#/components/schemas/FormDefinition"
          },
          {
            "type": "object",
            "properties": {
              "url": {
                "type": "string"
              },
              "embed": {
                "type": "object",
                "properties": {
                  "script": {
                    "type": "string"
                  },
                  "iframe": {
                    "type": "string"
                  }
                }
              }
            }
          }
        ]
      },
      "FormList": {
        "type": "object",
        "required": [
          "items"
        ],
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Form"
            }
          }
        }
      },
      "Rule": {
        "type": "object",
        "description": "A condition in the rule language (docs/rules.md): all / any / not, trait, event (where, count, within), last_seen, inactive, stage, score / fit / engagement / grade, unsubscribed, consented, in_segment, opened / clicked, account.",
        "additionalProperties": true
      },
      "SegmentDefinition": {
        "type": "object",
        "required": [
          "name",
          "match"
        ],
        "additionalProperties": false,
        "properties": {
          "name": {
            "type": "string",
            "pattern": "^[a-z0-9_-]{1,64}$"
          },
          "description": {
            "type": "string"
          },
          "match": {
            "$ref": "#/components/schemas/Rule"
          }
        }
      },
      "Segment": {
        "type": "object",
        "required": [
          "id",
          "name",
          "match",
          "version",
          "members",
          "status",
          "createdAt",
          "updatedAt"
        ],
        "properties": {
          "id": {
            "type": "integer"
          },
          "name": {
            "type": "string"
          },
          "description": {
            "type": [
              "string",
              "null"
            ]
          },
          "match": {
            "$ref": "#/components/schemas/Rule"
          },
          "version": {
            "type": "integer"
          },
          "members": {
            "type": "integer"
          },
          "status": {
            "type": "object",
            "required": [
              "state"
            ],
            "properties": {
              "state": {
                "type": "string",
                "enum": [
                  "ready",
                  "computing",
                  "pending"
                ]
              },
              "done": {
                "type": "integer"
              },
              "total": {
                "type": "integer"
              }
            }
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          },
          "updatedAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "SegmentList": {
        "type": "object",
        "required": [
          "items"
        ],
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Segment"
            }
          }
        }
      },
      "SegmentPreview": {
        "type": "object",
        "required": [
          "matching",
          "contacts",
          "sample"
        ],
        "properties": {
          "matching": {
            "type": "integer"
          },
          "contacts": {
            "type": "integer"
          },
          "sample": {
            "type": "array",
            "items": {
              "type": "integer"
            }
          }
        }
      },
      "RuleReason": {
        "type": "object",
        "required": [
          "held",
          "text",
          "depth"
        ],
        "properties": {
          "held": {
            "type": "boolean"
          },
          "text": {
            "type": "string"
          },
          "depth": {
            "type": "integer"
          }
        }
      },
      "ContactSegments": {
        "type": "object",
        "required": [
          "items"
        ],
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "segment",
                "member",
                "why"
              ],
              "properties": {
                "segment": {
                  "type": "string"
                },
                "member": {
                  "type": "boolean"
                },
                "since": {
                  "type": [
                    "string",
                    "null"
                  ],
                  "format": "date-time"
                },
                "matchesNow": {
                  "type": [
                    "boolean",
                    "null"
                  ]
                },
                "why": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/RuleReason"
                  }
                }
              }
            }
          }
        }
      },
      "ScoreReason": {
        "type": "object",
        "required": [
          "rule",
          "dimension",
          "points",
          "times",
          "lastAt",
          "text"
        ],
        "properties": {
          "rule": {
            "type": "string"
          },
          "dimension": {
            "type": "string",
            "enum": [
              "fit",
              "engagement"
            ]
          },
          "points": {
            "type": "number"
          },
          "times": {
            "type": "integer"
          },
          "lastAt": {
            "type": "string",
            "format": "date-time"
          },
          "text": {
            "type": "string"
          }
        }
      },
      "ScoreChange": {
        "type": "object",
        "required": [
          "dimension",
          "rule",
          "points",
          "reason",
          "at"
        ],
        "properties": {
          "dimension": {
            "type": "string",
            "enum": [
              "fit",
              "engagement"
            ]
          },
          "rule": {
            "type": "string"
          },
          "points": {
            "type": "number"
          },
          "reason": {
            "type": "string"
          },
          "at": {
            "type": "string",
            "format": "date-time"
          },
          "eventSeq": {
            "type": [
              "integer",
              "null"
            ]
          }
        }
      },
      "ContactScore": {
        "type": "object",
        "required": [
          "model",
          "grade",
          "fit",
          "engagement",
          "score",
          "label",
          "reasons",
          "changes"
        ],
        "properties": {
          "model": {
            "type": "string"
          },
          "grade": {
            "type": "string",
            "enum": [
              "A",
              "B",
              "C",
              "D"
            ]
          },
          "fit": {
            "type": "number"
          },
          "engagement": {
            "type": "number",
            "description": "After decay, as of now"
          },
          "score": {
            "type": "number",
            "description": "fit + engagement"
          },
          "label": {
            "type": "string",
            "description": "Grade and engagement together, e.g. A72"
          },
          "reasons": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ScoreReason"
            }
          },
          "changes": {
            "type": "array",
            "description": "The 20 latest changes, newest first",
            "items": {
              "$ref": "#/components/schemas/ScoreChange"
            }
          }
        }
      },
      "ScoringModel": {
        "type": "object",
        "required": [
          "model"
        ],
        "description": "A scoring model (docs/rules.md#scoring): fit, engagement, inactivity, decay, grades, stages.",
        "additionalProperties": true,
        "properties": {
          "model": {
            "type": [
              "string",
              "integer"
            ],
            "description": "The model's name; a bare number in YAML is taken as its text"
          }
        }
      },
      "WorkflowDefinition": {
        "type": "object",
        "required": [
          "workflow",
          "trigger",
          "steps"
        ],
        "description": "A workflow file (docs/workflows.md).",
        "additionalProperties": true,
        "properties": {
          "workflow": {
            "type": "string"
          },
          "trigger": {
            "type": "object"
          },
          "entry": {
            "type": "object"
          },
          "exit_when": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Rule"
            }
          },
          "on": {
            "type": "array"
          },
          "steps": {
            "type": "array",
            "items": {
              "type": [
                "object",
                "string"
              ]
            }
          }
        }
      },
      "Workflow": {
        "type": "object",
        "required": [
          "name",
          "version",
          "status",
          "versions",
          "updatedAt"
        ],
        "properties": {
          "name": {
            "type": "string"
          },
          "version": {
            "type": "integer"
          },
          "status": {
            "type": "string",
            "enum": [
              "draft",
              "published",
              "paused",
              "archived"
            ]
          },
          "publishedVersion": {
            "type": [
              "integer",
              "null"
            ]
          },
          "versions": {
            "type": "integer"
          },
          "updatedAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "WorkflowDetail": {
        "allOf": [
          {
            "$ref": "#/components/schemas/Workflow"
          },
          {
            "type": "object",
            "properties": {
              "definition": {
                "$ref": "#/components/schemas/WorkflowDefinition"
              },
              "steps": {
                "type": "object",
                "description": "By step (id or path): counts of actions by kind, and runs waiting there",
                "additionalProperties": {
                  "type": "object",
                  "additionalProperties": {
                    "type": "integer"
                  }
                }
              }
            }
          }
        ]
      },
      "WorkflowRun": {
        "type": "object",
        "required": [
          "id",
          "workflow",
          "version",
          "status",
          "enteredAt",
          "actions"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "workflow": {
            "type": "string"
          },
          "version": {
            "type": "integer"
          },
          "status": {
            "type": "string",
            "enum": [
              "active",
              "waiting",
              "finished"
            ]
          },
          "enteredAt": {
            "type": "string",
            "format": "date-time"
          },
          "wakeAt": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "variant": {
            "type": [
              "string",
              "null"
            ]
          },
          "finishReason": {
            "type": [
              "string",
              "null"
            ]
          },
          "actions": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "at",
                "step",
                "action",
                "detail"
              ],
              "properties": {
                "at": {
                  "type": "string",
                  "format": "date-time"
                },
                "step": {
                  "type": "string"
                },
                "action": {
                  "type": "string"
                },
                "detail": {
                  "type": "string"
                }
              }
            }
          }
        }
      },
      "ContentTemplate": {
        "type": "object",
        "required": [
          "name",
          "subject",
          "kind"
        ],
        "properties": {
          "name": {
            "type": "string"
          },
          "subject": {
            "type": "string",
            "description": "The subject template (Mustache)"
          },
          "stage": {
            "type": [
              "string",
              "null"
            ],
            "enum": [
              "awareness",
              "consideration",
              "decision",
              null
            ]
          },
          "topic": {
            "type": [
              "string",
              "null"
            ]
          },
          "kind": {
            "type": "string",
            "enum": [
              "marketing",
              "transactional"
            ]
          },
          "description": {
            "type": [
              "string",
              "null"
            ]
          },
          "preheader": {
            "type": [
              "string",
              "null"
            ]
          },
          "html": {
            "type": "string"
          },
          "text": {
            "type": [
              "string",
              "null"
            ]
          },
          "fallbacks": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          }
        }
      },
      "ContentPreview": {
        "type": "object",
        "required": [
          "template",
          "contactId",
          "subject",
          "html",
          "text",
          "guardRails"
        ],
        "properties": {
          "template": {
            "type": "string"
          },
          "contactId": {
            "type": "integer"
          },
          "subject": {
            "type": "string"
          },
          "preheader": {
            "type": [
              "string",
              "null"
            ]
          },
          "html": {
            "type": "string"
          },
          "text": {
            "type": "string"
          },
          "guardRails": {
            "type": "object",
            "required": [
              "decision"
            ],
            "description": "What the send-time guard rails would do now",
            "properties": {
              "decision": {
                "type": "string",
                "enum": [
                  "send",
                  "defer",
                  "skip",
                  "refuse"
                ]
              },
              "until": {
                "type": "string",
                "format": "date-time"
              },
              "reason": {
                "type": "string"
              },
              "detail": {
                "type": "string"
              }
            }
          }
        }
      },
      "EmailSend": {
        "type": "object",
        "required": [
          "id",
          "template",
          "kind",
          "status",
          "attempts",
          "createdAt"
        ],
        "properties": {
          "id": {
            "type": "integer"
          },
          "template": {
            "type": "string"
          },
          "kind": {
            "type": "string",
            "enum": [
              "marketing",
              "transactional"
            ]
          },
          "status": {
            "type": "string",
            "enum": [
              "queued",
              "sending",
              "deferred",
              "sent",
              "failed",
              "skipped",
              "refused"
            ]
          },
          "workflow": {
            "type": [
              "string",
              "null"
            ]
          },
          "step": {
            "type": [
              "string",
              "null"
            ]
          },
          "to": {
            "type": [
              "string",
              "null"
            ],
            "description": "Set for test sends"
          },
          "attempts": {
            "type": "integer"
          },
          "nextAttemptAt": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "messageId": {
            "type": [
              "string",
              "null"
            ]
          },
          "lastError": {
            "type": [
              "string",
              "null"
            ],
            "description": "Why it was deferred, skipped, refused or failed"
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          },
          "sentAt": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          }
        }
      },
      "Suppression": {
        "type": "object",
        "required": [
          "email",
          "reason",
          "detail",
          "createdAt"
        ],
        "properties": {
          "email": {
            "type": "string"
          },
          "reason": {
            "type": "string",
            "enum": [
              "unsubscribed",
              "hard_bounce",
              "soft_bounces",
              "complaint",
              "sales_owned",
              "manual",
              "erased"
            ]
          },
          "detail": {
            "type": "string"
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "InboundOutcome": {
        "type": "object",
        "required": [
          "kind",
          "suppressed",
          "events",
          "notes"
        ],
        "properties": {
          "kind": {
            "type": "string",
            "enum": [
              "bounce",
              "complaint",
              "unsubscribe"
            ]
          },
          "suppressed": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "events": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "notes": {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        }
      },
      "Handoff": {
        "type": "object",
        "required": [
          "id",
          "contactId",
          "owner",
          "team",
          "reason",
          "assignmentReason",
          "status",
          "createdAt",
          "dueAt",
          "context"
        ],
        "properties": {
          "id": {
            "type": "integer"
          },
          "contactId": {
            "type": "integer"
          },
          "owner": {
            "type": "string"
          },
          "team": {
            "type": "string"
          },
          "reason": {
            "type": "string",
            "description": "Why the lead went to sales"
          },
          "assignmentReason": {
            "type": "string",
            "description": "Why this owner"
          },
          "status": {
            "type": "string",
            "enum": [
              "open",
              "accepted",
              "rejected",
              "recycled",
              "opportunity",
              "won",
              "lost"
            ]
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          },
          "dueAt": {
            "type": "string",
            "format": "date-time",
            "description": "The SLA: first touch due by"
          },
          "firstTouchAt": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "timeToFirstTouchSeconds": {
            "type": [
              "integer",
              "null"
            ]
          },
          "lapsedAt": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "outcomeReason": {
            "type": [
              "string",
              "null"
            ]
          },
          "amount": {
            "type": [
              "number",
              "null"
            ]
          },
          "context": {
            "type": "object",
            "description": "The storyline: contact, account, firstTouch, lastTouch, lastAction, contentConsumed, painPoint, score with topReasons, last7Days, suggestedNextStep, predicted, owner, assignmentReason, sla"
          }
        }
      },
      "Feedback": {
        "type": "object",
        "required": [
          "outcome"
        ],
        "properties": {
          "outcome": {
            "type": "string",
            "enum": [
              "accepted",
              "rejected",
              "recycled",
              "opportunity",
              "won",
              "lost"
            ]
          },
          "reason": {
            "type": "string",
            "enum": [
              "not_a_fit",
              "no_budget",
              "bad_timing",
              "duplicate",
              "other"
            ],
            "description": "Required for rejected"
          },
          "note": {
            "type": "string"
          },
          "amount": {
            "type": "number",
            "minimum": 0
          }
        }
      },
      "FunnelFigures": {
        "type": "object",
        "properties": {
          "cost": {
            "type": "number",
            "description": "The configured monthly costs (report_costs) over the period: the source's, or all sources' in the total"
          },
          "costPerOpportunity": {
            "type": [
              "number",
              "null"
            ]
          },
          "captured": {
            "type": "integer"
          },
          "mql": {
            "type": "integer"
          },
          "sql": {
            "type": "integer"
          },
          "sal": {
            "type": "integer"
          },
          "opportunity": {
            "type": "integer"
          },
          "customer": {
            "type": "integer"
          },
          "handedOff": {
            "type": "integer"
          },
          "demos": {
            "type": "integer"
          },
          "unsubscribed": {
            "type": "integer"
          },
          "pipeline": {
            "type": "number"
          },
          "revenue": {
            "type": "number"
          },
          "rates": {
            "type": "object",
            "additionalProperties": {
              "type": [
                "number",
                "null"
              ]
            },
            "description": "lead_to_mql, mql_to_sql, sales_accepted, sql_to_opportunity, opportunity_to_customer, demo_booking, unsubscribe"
          },
          "medianDaysToMQL": {
            "type": [
              "number",
              "null"
            ]
          },
          "medianDaysToSQL": {
            "type": [
              "number",
              "null"
            ]
          },
          "medianSalesCycleDays": {
            "type": [
              "number",
              "null"
            ]
          },
          "medianHoursToFirstTouch": {
            "type": [
              "number",
              "null"
            ]
          }
        }
      },
      "AuditEntry": {
        "type": "object",
        "required": [
          "seq",
          "at",
          "actor",
          "role",
          "method",
          "path",
          "status",
          "address"
        ],
        "properties": {
          "seq": {
            "type": "integer"
          },
          "at": {
            "type": "string",
            "format": "date-time"
          },
          "actor": {
            "type": "string",
            "description": "key:NAME, user:EMAIL or cli"
          },
          "role": {
            "type": "string"
          },
          "method": {
            "type": "string"
          },
          "path": {
            "type": "string",
            "description": "Without the query"
          },
          "status": {
            "type": "integer",
            "description": "The answer's status (0 for the CLI)"
          },
          "address": {
            "type": "string",
            "description": "The client's address"
          }
        }
      }
    },
    "securitySchemes": {
      "writeKey": {
        "type": "http",
        "scheme": "basic",
        "description": "Segment style: the write key as the user name, an empty password"
      },
      "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: Authorization: Bearer trk_..."
      }
    },
    "responses": {
      "TrackingBadRequest": {
        "description": "Malformed JSON, a missing or invalid field (the error names it), or a message over 32 KB inside a batch",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "TrackingUnauthorized": {
        "description": "No write key, or an unknown one",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "TrackingForbidden": {
        "description": "The key's role may not ingest",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "TrackingTooLarge": {
        "description": "Body over 32 KB (one call) or 500 KB (batch), also after gzip inflation",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "TrackingUnsupportedMediaType": {
        "description": "Content-Type other than application/json or text/plain, or an unsupported Content-Encoding",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "Missing or invalid bearer key",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Forbidden": {
        "description": "The key's role does not allow this",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "BadId": {
        "description": "id is not a positive number",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "ContactNotFound": {
        "description": "No such contact",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "NotJSON": {
        "description": "Not JSON",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "BadParameter": {
        "description": "A bad parameter",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "FormNotFound": {
        "description": "No such form",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "SegmentNotFound": {
        "description": "No such segment",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "RateLimited": {
        "description": "Too many requests from this address (rate_limits in the config); wait for Retry-After",
        "headers": {
          "Retry-After": {
            "description": "Seconds to wait",
            "schema": {
              "type": "integer"
            }
          },
          "X-RateLimit-Reset": {
            "description": "Seconds to wait, as analytics.js reads it (the same value as Retry-After)",
            "schema": {
              "type": "integer"
            }
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "StorageFull": {
        "description": "The server's disk is full: nothing of the request was stored; retry later",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unavailable": {
        "description": "The database cannot be reached (PostgreSQL restarting, or no connection free within the lease timeout, 5 s by default): nothing of the request was done; retry later",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      }
    }
  }
}
"""#
}
