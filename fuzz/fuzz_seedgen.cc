// Writes the seed corpora of the fuzz targets: valid CC1 codes and CV1
// visitor passes made with the fixed keys of fuzz_world.h, so they verify
// inside fuzz_presentation.
//
// Usage: fuzz_seedgen <dir>   writes <dir>/fuzz_base45/, <dir>/fuzz_cose/ and
// <dir>/fuzz_presentation/ (the committed seeds live in fuzz/corpus/).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "code/credential.h"
#include "code/presentation.h"
#include "code/visitor_pass.h"
#include "crypto/algorithm.h"
#include "fuzz/fuzz_world.h"

namespace {

using namespace citycode;

void Write(const std::filesystem::path& dir, const std::string& name, std::string_view content) {
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz_seedgen: cannot write %s\n", (dir / name).c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seedgen <dir>\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  const fuzz::World& world = fuzz::TheWorld();
  for (std::size_t a = 0; a < std::size(fuzz::kAlgorithms); ++a) {
    const std::string alg(crypto::CliName(fuzz::kAlgorithms[a]));
    const auto id = static_cast<std::uint8_t>(a + 1);
    const Bytes credential =
        fuzz::Must(code::IssueCredential(world.Claims(id, &world.devices[a]), world.signers[a]),
                   "IssueCredential");
    const Bytes card =
        fuzz::Must(code::IssueCredential(world.Claims(static_cast<std::uint8_t>(id + 10), nullptr),
                                         world.signers[a]),
                   "IssueCredential (card)");
    const Bytes presentation = fuzz::Must(
        code::MakePresentation({.credential = credential, .made_at = fuzz::kFuzzNow, .counter = 1},
                               world.devices[a]),
        "MakePresentation");
    const Bytes hinted = fuzz::Must(code::MakePresentation({.credential = credential,
                                                            .made_at = fuzz::kFuzzNow,
                                                            .counter = 2,
                                                            .scene_hint = code::Scene::kTransit},
                                                           world.devices[a]),
                                    "MakePresentation (scene hint)");
    const Bytes pass = fuzz::Must(
        code::IssueVisitorPass(fuzz::World::PassClaims(id), world.signers[a]), "IssueVisitorPass");
    const std::string text = code::ToQrText(presentation);
    const std::string hinted_text = code::ToQrText(hinted);

    Write(root / "fuzz_presentation", alg + "-code.txt", text);
    Write(root / "fuzz_presentation", alg + "-code-hint.txt", hinted_text);
    Write(root / "fuzz_presentation", alg + "-card.txt", code::ToQrText(card));
    Write(root / "fuzz_presentation", alg + "-presentation.cbor", AsChars(presentation));
    Write(root / "fuzz_presentation", alg + "-credential.cbor", AsChars(credential));
    Write(root / "fuzz_presentation", alg + "-pass.txt", code::VisitorPassText(pass));
    Write(root / "fuzz_presentation", alg + "-pass.cbor", AsChars(pass));

    Write(root / "fuzz_cose", alg + "-presentation.cbor", AsChars(presentation));
    Write(root / "fuzz_cose", alg + "-presentation-hint.cbor", AsChars(hinted));
    Write(root / "fuzz_cose", alg + "-credential.cbor", AsChars(credential));
    Write(root / "fuzz_cose", alg + "-card.cbor", AsChars(card));
    Write(root / "fuzz_cose", alg + "-pass.cbor", AsChars(pass));

    Write(root / "fuzz_base45", alg + "-code.txt", text.substr(code::kQrPrefix.size()));
  }
  Write(root / "fuzz_base45", "rfc9285-hello.txt", "%69 VD92EX0");
  Write(root / "fuzz_base45", "rfc9285-ietf.txt", "QED8WEX0");
  Write(root / "fuzz_base45", "rfc9285-ab.txt", "BB8");
  return 0;
}
