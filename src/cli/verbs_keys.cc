// keys generate | export | list, checkpoint, prove: the keys trust comes from and the
// signed checkpoints an auditor keeps outside the store.
#include <iostream>
#include <memory>

#include "checkpoint/checkpoint.h"
#include "cli/cli.h"
#include "keys/keys.h"
#include "util/files.h"

namespace oep::cli {
namespace {

int RunKeysGenerate(const std::string& out) {
  auto id = GenerateKeyFile(out);
  if (!id.ok()) return Fail(id.status());
  std::cout << "wrote Ed25519 private key " << out << " (mode 0600), key id " << *id << "\n";
  return 0;
}

int RunKeysExport(const std::string& key, const std::string& out) {
  auto pem = ExportPublicKey(key);
  if (!pem.ok()) return Fail(pem.status());
  if (out.empty()) {
    std::cout << *pem;
    return 0;
  }
  Status s = WriteFileAtomic(out, *pem);
  if (!s.ok()) return Fail(s);
  auto id = KeyIdOfFile(key);
  if (!id.ok()) return Fail(id.status());
  std::cout << "wrote public key " << out << " (key id " << *id << ")\n";
  return 0;
}

int RunKeysList(const std::vector<std::string>& specs) {
  auto keys = TrustedKeys::LoadWithEnvironment(specs);
  if (!keys.ok()) return Fail(keys.status());
  if (keys->empty()) {
    std::cout << "no trusted keys (--trusted-key ROLE=PUBLIC_KEY.pem or $OEP_TRUSTED_KEYS)\n";
    return 0;
  }
  for (const auto& k : keys->keys()) std::cout << k.role << " " << k.key_id << " " << k.file << "\n";
  return 0;
}

int RunCheckpoint(const std::string& state_path, const std::string& key, const std::string& origin) {
  auto store = Store::Open(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto cp = MakeCheckpoint(**store, key, origin);
  if (!cp.ok()) return Fail(cp.status());
  std::cout << cp->note;
  return 0;
}

int RunProve(const std::string& state_path, int64_t entry_id, const std::string& checkpoint_file, const std::string& key,
             const std::string& origin) {
  if (checkpoint_file.empty() == key.empty()) {
    return Fail(Status::InvalidArgument("prove: pass --checkpoint FILE (a kept checkpoint) or --key KEY.pem (sign a "
                                        "fresh one), not both"));
  }
  auto store = Store::Open(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  // A kept checkpoint's signature is checked by whoever verifies the proof, against their trusted keys.
  auto note = key.empty() ? ReadCheckpointFile(checkpoint_file) : Result<std::string>(std::string());
  if (!note.ok()) return Fail(note.status());
  auto cp = key.empty() ? ParseCheckpoint(*note, checkpoint_file) : MakeCheckpoint(**store, key, origin);
  if (!cp.ok()) return Fail(cp.status());
  auto proof = ProveEntry(**store, entry_id, *cp);
  if (!proof.ok()) return Fail(proof.status());
  std::cout << *proof << "\n";
  return 0;
}

}  // namespace

void AddKeysVerbs(CLI::App& app, int& exit_code) {
  struct Args {
    std::string out, key, state_path, origin = std::string(kDefaultCheckpointOrigin), checkpoint;
    std::vector<std::string> trusted;
    int64_t entry_id = 0;
  };
  auto a = std::make_shared<Args>();

  auto* keys = app.add_subcommand("keys", "Ed25519 keys: generate, export the public key, list the trusted keys");
  keys->require_subcommand(1);
  auto* gen = keys->add_subcommand("generate", "write a fresh Ed25519 private key (PEM, mode 0600)");
  gen->add_option("--out", a->out, "private key file to create (never overwritten)")->required();
  gen->callback([a, &exit_code] { exit_code = RunKeysGenerate(a->out); });
  auto* exp = keys->add_subcommand("export", "print (or write) the public key PEM of a key");
  exp->add_option("--key", a->key, "Ed25519 private key, PEM")->required();
  exp->add_option("--out", a->out, "write the public key here instead of printing it");
  exp->callback([a, &exit_code] { exit_code = RunKeysExport(a->key, a->out); });
  auto* list = keys->add_subcommand("list", "the trusted keys: role, key id, file");
  list->add_option("--trusted-key", a->trusted, "ROLE=PUBLIC_KEY.pem (server | local); also $OEP_TRUSTED_KEYS");
  list->callback([a, &exit_code] { exit_code = RunKeysList(a->trusted); });

  auto* cp = app.add_subcommand("checkpoint", "print a signed checkpoint (C2SP tlog-checkpoint) of the whole ledger");
  AddStatePath(cp, &a->state_path);
  cp->add_option("--key", a->key, "Ed25519 private key (the server key), PEM")->required();
  cp->add_option("--origin", a->origin, "the log's name (first line; also the signature's key name)");
  cp->callback([a, &exit_code] { exit_code = RunCheckpoint(a->state_path, a->key, a->origin); });

  auto* prove = app.add_subcommand("prove", "print an inclusion proof of a ledger entry that verifies offline");
  AddStatePath(prove, &a->state_path);
  prove->add_option("ENTRY_ID", a->entry_id, "ledger entry id")->required();
  prove->add_option("--checkpoint", a->checkpoint, "prove against this kept checkpoint");
  prove->add_option("--key", a->key, "or sign a fresh checkpoint with this key");
  prove->add_option("--origin", a->origin, "with --key: the checkpoint's origin");
  prove->callback([a, &exit_code] { exit_code = RunProve(a->state_path, a->entry_id, a->checkpoint, a->key, a->origin); });
}

}  // namespace oep::cli
