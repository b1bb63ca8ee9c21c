# Fuzzing seed (make fuzz): calls into the built-in families, so mutations reach them.
package fuzz.seed

import rego.v1

times := [
	time.parse_ns("2006-01-02T15:04:05Z07:00", "2026-03-29T01:30:15+01:00"),
	time.parse_duration_ns("1h2m3.5s"),
	time.format([0, "Europe/Paris", "Mon Jan _2 15:04:05 MST 2006"]),
	time.diff(0, 86400000000000),
	time.add_date(0, 1, 2, 3),
]

patched := json.patch({"a": [1, 2], "s": {"x"}}, [{"op": "add", "path": "/a/-", "value": 3}, {"op": "move", "from": "/a/0", "path": "/b"}])

schema_ok := json.match_schema({"id": 5}, {"properties": {"id": {"type": "integer"}}, "required": ["id"]})

nets := [net.cidr_merge(["10.0.0.0/25", "10.0.0.128/25", "fe80::/120"]), net.cidr_expand("192.168.0.0/30")]

paths := graph.reachable_paths({"a": ["b", "c"], "b": ["c"], "c": []}, {"a"})

token := io.jwt.encode_sign({"alg": "HS256", "typ": "JWT"}, {"iss": "seed"}, {"kty": "oct", "k": "c2VlZA"})

signed := providers.aws.sign_req({"method": "get", "url": "https://example.org/x?a=1"}, {"aws_access_key": "k", "aws_secret_access_key": "s", "aws_service": "s3", "aws_region": "us-east-1"}, 0)

misc := [sprintf("%v %d %s", [[1, "a"], 2, "x"]), regex.match(`^a+b$`, "aaab"), glob.match("*.rego", ["."], "a.rego"), units.parse_bytes("2KiB"), object.subset({"a": {"b": 1}}, {"a": {}})]
