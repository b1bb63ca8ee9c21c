// crypto.x509.* and crypto.parse_private_keys on certificates, requests and keys made at
// test time by the openssl CLI (a root, an intermediate, an RSA leaf with alternative names).
#include <filesystem>

#include <catch2/catch.hpp>
#include <openssl/bn.h>

#include "rego/builtins.h"
#include "support/support.h"
#include "util/subprocess.h"

using namespace oep::test;

namespace {

constexpr const char* kOpenssl = "/usr/bin/openssl";

void Openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kOpenssl};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = oep::RunProcess(argv);
  REQUIRE(r.ok());
  INFO(r->err);
  REQUIRE(r->exit_code == 0);
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '"' || c == '\\') out += std::string("\\") + c;
    else out += c;
  }
  return out + "\"";
}

// A root CA, an intermediate CA and two leaves (one for servers and clients, one for
// clients only), their keys, the leaf's request and its DER form, written under `dir`.
struct Pki {
  ScratchDir dir;
  Pki() {
    std::string d = dir.path() + "/";
    Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", d + "root.key",
             "-out", d + "root.pem", "-subj", "/O=oep test/CN=oep test root", "-days", "3650", "-addext",
             "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
    WriteText(d + "int.ext", "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign\n");
    Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", d + "int.key", "-out",
             d + "int.csr", "-subj", "/CN=oep test intermediate"});
    Openssl({"x509", "-req", "-in", d + "int.csr", "-CA", d + "root.pem", "-CAkey", d + "root.key", "-CAcreateserial",
             "-out", d + "int.pem", "-days", "3650", "-extfile", d + "int.ext"});
    WriteText(d + "leaf.ext",
              "subjectAltName=DNS:agent.example.com,IP:192.0.2.7,URI:spiffe://example.com/agent,email:ops@example.com\n"
              "extendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n");
    Openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "leaf.key", "-out", d + "leaf.csr", "-subj",
             "/C=DE/O=Example/CN=agent.example.com", "-addext", "subjectAltName=DNS:agent.example.com,DNS:tools.example.com"});
    Openssl({"x509", "-req", "-in", d + "leaf.csr", "-CA", d + "int.pem", "-CAkey", d + "int.key", "-CAcreateserial",
             "-out", d + "leaf.pem", "-days", "365", "-extfile", d + "leaf.ext"});
    Openssl({"x509", "-in", d + "leaf.pem", "-outform", "DER", "-out", d + "leaf.der"});
    WriteText(d + "client.ext", "extendedKeyUsage=clientAuth\n");
    Openssl({"x509", "-req", "-in", d + "leaf.csr", "-CA", d + "int.pem", "-CAkey", d + "int.key", "-CAcreateserial",
             "-out", d + "client.pem", "-days", "365", "-extfile", d + "client.ext"});
    Openssl({"x509", "-in", d + "leaf.pem", "-noout", "-serial", "-out", d + "serial.txt"});
    Openssl({"rsa", "-in", d + "leaf.key", "-noout", "-modulus", "-out", d + "modulus.txt"});
    std::string input = "{";
    for (const char* name : {"root.pem", "int.pem", "leaf.pem", "client.pem", "root.key", "leaf.key", "leaf.csr"}) {
      input += std::string(input.size() > 1 ? "," : "") + JsonString(name) + ":" + JsonString(ReadText(d + name));
    }
    std::string der = ReadText(d + "leaf.der");
    input += ",\"leaf.der.b64\":" + JsonString(oep::rego::Base64Encode(der, false, true)) + "}";
    WriteText(d + "in.json", input);
  }
  // `oep rego eval` of `x := <expr>` over the PKI as input; the JSON output.
  RunResult Eval(const std::string& expr) const {
    return RunOep({"rego", "eval", "--strict-builtin-errors", "-i", dir / "in.json", "x := " + expr});
  }
  std::string Value(const std::string& expr) const {
    RunResult r = Eval(expr);
    INFO(expr << "\n" << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    auto at = r.out.find("\"x\":");
    REQUIRE(at != std::string::npos);
    return r.out.substr(at + 4, r.out.find("},\"expressions\"") - at - 4);
  }
};

std::string HexToDecimal(std::string hex) {
  BIGNUM* bn = nullptr;
  BN_hex2bn(&bn, hex.c_str());
  char* dec = BN_bn2dec(bn);
  std::string out = dec;
  OPENSSL_free(dec);
  BN_free(bn);
  return out;
}

}  // namespace

TEST_CASE("crypto.x509.parse_certificates returns Go's certificate fields", "[rego][builtins][x509]") {
  if (!std::filesystem::exists(kOpenssl)) {
    WARN("skipped: the x509 tests make their certificates with " << kOpenssl << " (apt-get install openssl)");
    return;
  }
  Pki pki;
  std::string leaf = R"(crypto.x509.parse_certificates(input["leaf.pem"])[0])";
  CHECK(pki.Value(leaf + ".Subject.CommonName") == R"("agent.example.com")");
  CHECK(pki.Value(leaf + ".Subject.Country") == R"(["DE"])");
  CHECK(pki.Value(leaf + ".Subject.Locality") == "null");  // Go's nil slice
  CHECK(pki.Value(leaf + ".Issuer.CommonName") == R"("oep test intermediate")");
  CHECK(pki.Value(leaf + ".DNSNames") == R"(["agent.example.com"])");
  CHECK(pki.Value(leaf + ".IPAddresses") == R"(["192.0.2.7"])");
  CHECK(pki.Value(leaf + ".URIStrings") == R"(["spiffe://example.com/agent"])");
  CHECK(pki.Value(leaf + ".EmailAddresses") == R"(["ops@example.com"])");
  CHECK(pki.Value(leaf + ".ExtKeyUsage") == "[1,2]");  // server and client authentication
  CHECK(pki.Value(leaf + ".IsCA") == "false");
  CHECK(pki.Value(leaf + ".PublicKeyAlgorithm") == "1");  // RSA
  CHECK(pki.Value(leaf + ".SignatureAlgorithm") == "10");  // ECDSA with SHA-256 (the intermediate's key)
  std::string serial = ReadText(pki.dir / "serial.txt");
  serial = serial.substr(serial.find('=') + 1, serial.find_last_not_of("\n") - serial.find('='));
  CHECK(pki.Value(leaf + ".SerialNumber") == HexToDecimal(serial));
  CHECK_THAT(pki.Value(leaf + ".NotAfter"), Catch::Matches(R"("\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")"));
  std::string root = R"(crypto.x509.parse_certificates(input["root.pem"])[0])";
  CHECK(pki.Value(root + ".IsCA") == "true");
  CHECK(pki.Value(root + ".KeyUsage") == "96");  // certificate and CRL signing (Go's bits 5 and 6)
  CHECK(pki.Value(root + ".MaxPathLen") == "-1");
  CHECK(pki.Value(R"(crypto.x509.parse_certificates(input["int.pem"])[0].MaxPathLenZero)") == "true");
  // Base64 DER and base64 PEM read as the PEM text does; a chain yields every certificate.
  CHECK(pki.Value(R"(crypto.x509.parse_certificates(input["leaf.der.b64"])[0].Raw == )" + leaf + ".Raw") == "true");
  CHECK(pki.Value(R"(crypto.x509.parse_certificates(base64.encode(input["leaf.pem"]))[0].Raw == )" + leaf + ".Raw") == "true");
  CHECK(pki.Value(R"([c.Subject.CommonName | some c in crypto.x509.parse_certificates(concat("", [input["root.pem"], input["leaf.pem"]]))])") ==
        R"(["oep test root","agent.example.com"])");
}

TEST_CASE("crypto.x509.parse_and_verify_certificates verifies root, intermediates, leaf", "[rego][builtins][x509]") {
  if (!std::filesystem::exists(kOpenssl)) {
    WARN("skipped: needs " << kOpenssl);
    return;
  }
  Pki pki;
  auto verify = [&](const std::vector<std::string>& names) {
    std::string parts;
    for (const auto& n : names) parts += (parts.empty() ? "" : ", ") + std::string("input[\"") + n + "\"]";
    std::string v = "crypto.x509.parse_and_verify_certificates(concat(\"\", [" + parts + "]))";
    return pki.Value("[" + v + "[0], [c.Subject.CommonName | some c in " + v + "[1]]]");
  };
  // The first certificate is the trusted root, the last the leaf; the chain comes back leaf first.
  CHECK(verify({"root.pem", "int.pem", "leaf.pem"}) == R"([true,["agent.example.com","oep test intermediate","oep test root"]])");
  CHECK(verify({"root.pem", "leaf.pem"}) == "[false,[]]");             // the intermediate is missing
  CHECK(verify({"int.pem", "root.pem", "leaf.pem"}) == "[false,[]]");  // the wrong root
  CHECK(verify({"root.pem", "int.pem", "client.pem"}) == "[false,[]]");  // not for server authentication (Go's default)
  CHECK(verify({"leaf.pem"}) == "[false,[]]");                           // at least two certificates
}

TEST_CASE("crypto.x509.parse_and_verify_certificates_with_options applies Go's verify options", "[rego][builtins][x509]") {
  if (!std::filesystem::exists(kOpenssl)) {
    WARN("skipped: needs " << kOpenssl);
    return;
  }
  Pki pki;
  auto verify = [&](const std::string& leaf, const std::string& options) {
    return pki.Value("crypto.x509.parse_and_verify_certificates_with_options(concat(\"\", [input[\"root.pem\"], "
                     "input[\"int.pem\"], input[\"" + leaf + "\"]]), " + options + ")[0]");
  };
  CHECK(verify("leaf.pem", "{}") == "true");
  CHECK(verify("leaf.pem", R"({"DNSName": "agent.example.com"})") == "true");
  CHECK(verify("leaf.pem", R"({"DNSName": "other.example.com"})") == "false");
  CHECK(verify("leaf.pem", R"({"DNSName": "192.0.2.7"})") == "true");  // an IP alternative name
  CHECK(verify("client.pem", "{}") == "false");                          // server authentication by default
  CHECK(verify("client.pem", R"({"KeyUsages": ["KeyUsageClientAuth"]})") == "true");
  CHECK(verify("client.pem", R"({"KeyUsages": {"KeyUsageAny"}})") == "true");
  CHECK(verify("leaf.pem", R"({"KeyUsages": ["KeyUsageCodeSigning"]})") == "false");
  CHECK(verify("leaf.pem", R"({"CurrentTime": 4102444800000000000})") == "false");  // 2100: expired
  CHECK(verify("leaf.pem", R"({"CurrentTime": time.now_ns(), "MaxConstraintComparisons": 10})") == "true");
  auto error = [&](const std::string& options) {
    return pki.Eval("crypto.x509.parse_and_verify_certificates_with_options(concat(\"\", [input[\"root.pem\"], "
                    "input[\"leaf.pem\"]]), " + options + ")").out;
  };
  CHECK_THAT(error(R"({"DNSName": 1})"), Catch::Contains("'DNSName' should be a string"));
  CHECK_THAT(error(R"({"CurrentTime": "now"})"), Catch::Contains("'CurrentTime' should be a number"));
  CHECK_THAT(error(R"({"KeyUsages": "KeyUsageAny"})"), Catch::Contains("'KeyUsages' should be an Array or Set"));
  CHECK_THAT(error(R"({"KeyUsages": ["Nope", "KeyUsageAny", "Bad"]})"), Catch::Contains("invalid entries for 'KeyUsages' found: [Nope Bad]"));
  CHECK_THAT(error(R"({"Colour": "red"})"), Catch::Contains("eval_builtin_error") && Catch::Contains("invalid key option"));
  // Text that holds no certificates is an invalid chain, not an error.
  CHECK(pki.Value(R"(crypto.x509.parse_and_verify_certificates_with_options("bm90IGEgY2VydA==", {}))") == "[false,[]]");
}

TEST_CASE("keys and requests: JWK, Go key shapes, key pairs, CSRs, bad input", "[rego][builtins][x509]") {
  if (!std::filesystem::exists(kOpenssl)) {
    WARN("skipped: needs " << kOpenssl);
    return;
  }
  Pki pki;
  std::string modulus = ReadText(pki.dir / "modulus.txt");  // "Modulus=HEX"
  modulus = modulus.substr(modulus.find('=') + 1, modulus.find_last_not_of("\n") - modulus.find('='));
  std::string n = pki.Value(R"(crypto.x509.parse_rsa_private_key(input["leaf.key"]).n)");
  CHECK(pki.Value("base64url.decode(" + n + ") == hex.decode(lower(\"" + modulus + "\"))") == "true");
  CHECK(pki.Value(R"(crypto.x509.parse_rsa_private_key(input["leaf.key"]).kty)") == R"("RSA")");
  CHECK(pki.Value(R"(object.keys(crypto.x509.parse_rsa_private_key(input["leaf.key"])))") ==
        R"(["d","dp","dq","e","kty","n","p","q","qi"])");
  CHECK(pki.Value(R"([object.keys(k) | some k in crypto.parse_private_keys(concat("", [input["root.key"], input["leaf.key"]]))])") ==
        R"([["Curve","D","X","Y"],["D","E","N","Precomputed","Primes"]])");
  CHECK(pki.Value(R"(crypto.parse_private_keys(""))") == "null");
  CHECK(pki.Value(R"(crypto.x509.parse_certificate_request(input["leaf.csr"]).Subject.CommonName)") == R"("agent.example.com")");
  CHECK(pki.Value(R"(crypto.x509.parse_certificate_request(input["leaf.csr"]).DNSNames)") ==
        R"(["agent.example.com","tools.example.com"])");
  CHECK(pki.Value(R"(crypto.x509.parse_keypair(input["leaf.pem"], input["leaf.key"]).Certificate[0] == input["leaf.der.b64"])") == "true");
  CHECK(pki.Value(R"(crypto.x509.parse_keypair(input["leaf.pem"], base64.encode(input["leaf.key"])).Leaf.Subject.CommonName)") ==
        R"("agent.example.com")");
  // Errors with Go's texts, strict mode.
  CHECK_THAT(pki.Eval(R"(crypto.x509.parse_keypair(input["leaf.pem"], input["root.key"]))").out,
             Catch::Contains("eval_builtin_error") && Catch::Contains("private key does not match public key"));
  CHECK_THAT(pki.Eval(R"(crypto.x509.parse_certificates("foobar"))").out,
             Catch::Contains("illegal base64 data at input byte 4"));
  CHECK_THAT(pki.Eval(R"(crypto.x509.parse_certificates(input["root.key"]))").out,
             Catch::Contains("PEM block type is 'PRIVATE KEY', expected CERTIFICATE"));
  CHECK_THAT(pki.Eval(R"(crypto.x509.parse_certificate_request("YmFkc3RyaW5n"))").out, Catch::Contains("asn1: structure error"));
  CHECK_THAT(pki.Eval(R"(crypto.x509.parse_rsa_private_key(""))").out, Catch::Contains("input PEM data was empty"));
}
