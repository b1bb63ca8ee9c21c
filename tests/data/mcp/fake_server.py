# A minimal MCP server over stdio for the proxy tests: answers initialize and tools/call
# (the tool "fail" gets a JSON-RPC error), one JSON message per line.
import sys, json
for line in sys.stdin:
    m = json.loads(line)
    if "id" not in m:
        continue
    if m["method"] == "initialize":
        r = {"protocolVersion": "2025-06-18", "serverInfo": {"name": "fake-db", "version": "1.2.3"}, "capabilities": {"tools": {}}}
    elif m["method"] == "tools/call":
        if m["params"]["name"] == "fail":
            print(json.dumps({"jsonrpc": "2.0", "id": m["id"], "error": {"code": -32602, "message": "unknown tool: fail"}}), flush=True)
            continue
        r = {"content": [{"type": "text", "text": "order 42: shipped"}], "isError": False}
    else:
        r = {}
    print(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": r}), flush=True)
