/*
 * kavro tests - the legacy schemas (see legacy_schemas.h).
 */
#include "legacy_schemas.h"

#define HEAD                                                                   \
  "{\"type\":\"record\",\"name\":\"Legacy\",\"namespace\":\"com.acme\","      \
  "\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"

const char kt_legacy_v1[] =
    "{\"type\":\"record\",\"name\":\"Legacy\",\"namespace\":\"com.acme\","
    "\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}";

const kt_legacy_t kt_legacy[] = {
    {"boolean default given as a string",
     HEAD "{\"name\":\"x\",\"type\":\"boolean\",\"default\":\"true\"}]}",
     "/fields/1/default", "true or false", true, false, "0e01",
     "{\"id\": 7, \"x\": true}"},
    {"int default given as a string",
     HEAD "{\"name\":\"x\",\"type\":\"int\",\"default\":\"5\"}]}",
     "/fields/1/default", "32-bit", true, false, "0e0a", "{\"id\": 7, \"x\": 5}"},
    {"union default of a later branch",
     HEAD "{\"name\":\"x\",\"type\":[\"string\",\"null\"],\"default\":null}]}",
     "/fields/1/default", "first branch", true, false, "0e02",
     "{\"id\": 7, \"x\": null}"},
    {"union default of no branch",
     HEAD "{\"name\":\"x\",\"type\":[\"null\",\"int\"],\"default\":\"none\"}]}",
     "/fields/1/default", "first branch", true, false, "0e0206",
     "{\"id\": 7, \"x\": {\"int\": 3}}"},
    {"record default missing a field",
     HEAD "{\"name\":\"x\",\"type\":{\"type\":\"record\",\"name\":\"Inner\","
          "\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]},\"default\":{}}]}",
     "/fields/1/default", "lacks field", true, false, "0e02",
     "{\"id\": 7, \"x\": {\"a\": 1}}"},
    {"enum default that is no symbol",
     HEAD "{\"name\":\"x\",\"type\":{\"type\":\"enum\",\"name\":\"Mood\","
          "\"symbols\":[\"HAPPY\",\"SAD\"],\"default\":\"MEH\"}}]}",
     "/fields/1/type/default", "not one of the symbols", false, false, "0e02",
     "{\"id\": 7, \"x\": \"SAD\"}"},
    {"null namespace",
     "{\"type\":\"record\",\"name\":\"Legacy\",\"namespace\":null,\"fields\":"
     "[{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"x\",\"type\":\"string\"}]}",
     "/namespace", "not null", false, true, "0e046869", "{\"id\": 7, \"x\": \"hi\"}"},
    {"key given twice",
     HEAD "{\"name\":\"x\",\"type\":\"string\",\"doc\":\"old\",\"doc\":\"new\"}]}",
     "/fields/1/doc", "appears twice", false, true, "0e046869",
     "{\"id\": 7, \"x\": \"hi\"}"},
    {"primitive name in a namespace",
     HEAD "{\"name\":\"x\",\"type\":{\"type\":\"record\",\"name\":\"string\","
          "\"fields\":[{\"name\":\"s\",\"type\":\"string\"}]}}]}",
     "/fields/1/type/name", "primitive type name", false, false, "0e046869",
     "{\"id\": 7, \"x\": {\"s\": \"hi\"}}"},
};

const size_t kt_legacy_count = sizeof(kt_legacy) / sizeof(kt_legacy[0]);
