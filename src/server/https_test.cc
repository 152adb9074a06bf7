// The server over TLS: a self-signed certificate made here (OpenSSL's C
// API), a Beast TLS client that verifies it, and curl as a third-party one.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/files.h"
#include "server/http.h"
#include "server/service.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace citycode::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using ::citycode::testing::IsOk;
using ::citycode::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Every wait in a test ends here at the latest.
constexpr auto kTestTimeout = 10s;

// --- A self-signed certificate ---------------------------------------------

struct Pem {
  std::string certificate;
  std::string key;
};

template <class T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Freer<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Freer<BIO, BIO_free_all>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Freer<X509_EXTENSION, X509_EXTENSION_free>>;

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// A P-256 key and a certificate for localhost and 127.0.0.1, valid for a day.
Pem MakeSelfSigned() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr certificate(X509_new());
  if (!key || !certificate) throw std::runtime_error("cannot make a key");
  X509_set_version(certificate.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 24 * 3600);
  X509_set_pubkey(certificate.get(), key.get());
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(certificate.get(), name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate.get(), certificate.get(), nullptr, nullptr, 0);
  ExtensionPtr names(
      X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"));
  if (!names || X509_add_ext(certificate.get(), names.get(), -1) != 1 ||
      X509_sign(certificate.get(), key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("cannot make a certificate");
  }
  BioPtr certificate_pem(BIO_new(BIO_s_mem())), key_pem(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(certificate_pem.get(), certificate.get());
  PEM_write_bio_PrivateKey(key_pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return {BioText(certificate_pem.get()), BioText(key_pem.get())};
}

// --- Clients ----------------------------------------------------------------

// A blocking TLS client on its own io_context that trusts `anchor_pem`
// only and checks that the certificate names `host`; every operation has
// kTestTimeout.
class TlsClient {
 public:
  // `max_version`: the highest TLS version offered (0: OpenSSL's default).
  TlsClient(std::uint16_t port, const std::string& anchor_pem, const std::string& host,
            int max_version = 0)
      : context_(ssl::context::tls_client) {
    context_.add_certificate_authority(net::buffer(anchor_pem));
    context_.set_verify_mode(ssl::verify_peer);
    if (max_version != 0) {
      // TLS 1.0 and 1.1 sign with MD5-SHA1: OpenSSL 3 offers them at level 0 only.
      SSL_CTX_set_security_level(context_.native_handle(), 0);
      SSL_CTX_set_min_proto_version(context_.native_handle(), TLS1_VERSION);
      SSL_CTX_set_max_proto_version(context_.native_handle(), max_version);
    }
    static constexpr unsigned char kProtocols[] = {2,   'h', '2', 8,   'h', 't',
                                                   't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(context_.native_handle(), kProtocols, sizeof kProtocols);
    stream_.emplace(ioc_, context_);
    beast::error_code not_address;
    net::ip::make_address(host, not_address);
    if (not_address) SSL_set_tlsext_host_name(stream_->native_handle(), host.c_str());  // SNI
    stream_->set_verify_callback(ssl::host_name_verification(host));
    beast::get_lowest_layer(*stream_).connect(
        tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  beast::error_code Handshake() {
    return Run([&](auto done) { stream_->async_handshake(ssl::stream_base::client, done); });
  }

  void Send(const std::string& raw) {
    const beast::error_code ec =
        Run([&](auto done) { net::async_write(*stream_, net::buffer(raw), done); });
    if (ec) throw std::runtime_error("writing the request: " + ec.message());
  }

  http::response<http::string_body> Read() {
    http::response_parser<http::string_body> parser;
    const beast::error_code ec =
        Run([&](auto done) { http::async_read(*stream_, buffer_, parser, done); });
    if (ec) throw std::runtime_error("reading the response: " + ec.message());
    return parser.release();
  }

  http::response<http::string_body> Roundtrip(const std::string& raw) {
    Send(raw);
    return Read();
  }

  // Reads until the server ends the connection; eof means it sent
  // close_notify (stream_truncated: it closed without).
  beast::error_code ReadUntilClosed() {
    for (;;) {
      std::size_t n = 0;
      const beast::error_code ec = Run([&](auto done) {
        stream_->async_read_some(buffer_.prepare(4096),
                                 [&n, done](beast::error_code e, std::size_t read) mutable {
                                   n = read;
                                   done(e);
                                 });
      });
      buffer_.commit(n);
      if (ec) return ec;
    }
  }

  SSL* native() { return stream_->native_handle(); }

  std::string Alpn() {
    const unsigned char* protocol = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(native(), &protocol, &length);
    return std::string(reinterpret_cast<const char*>(protocol), length);
  }

 private:
  // Starts one asynchronous operation with a completion handler and runs it
  // to its end, or to kTestTimeout (the socket is closed then).
  template <class StartOp>
  beast::error_code Run(StartOp start) {
    beast::error_code result = net::error::would_block;
    beast::get_lowest_layer(*stream_).expires_after(kTestTimeout);
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  net::io_context ioc_;
  ssl::context context_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
};

// Plain TCP: sends bytes, then reads everything until the server closes.
struct PlainExchange {
  beast::error_code end;  // how the connection ended
  std::string received;
};

PlainExchange SendPlain(std::uint16_t port, const std::string& raw) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  if (!raw.empty()) net::write(stream.socket(), net::buffer(raw));
  PlainExchange exchange;
  char buf[4096];
  stream.expires_after(kTestTimeout);
  std::function<void()> read_some = [&] {
    stream.async_read_some(net::buffer(buf), [&](beast::error_code ec, std::size_t n) {
      exchange.received.append(buf, n);
      if (ec) {
        exchange.end = ec;
      } else {
        read_some();
      }
    });
  };
  read_some();
  ioc.run();
  return exchange;
}

std::string Get(const std::string& target, const std::string& extra = {}) {
  return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra + "\r\n";
}

// --- The server -------------------------------------------------------------

class HttpsServerTest : public ::testing::Test {
 protected:
  HttpsServerTest() : dir_("https"), pem_(MakeSelfSigned()) {}

  void SetUp() override {
    router_.Add(
        Method::kGet, "/healthz", "healthz",
        [](Request&) { return JsonResponse(200, R"({"status":"ok"})"); }, 0,
        /*runs_inline=*/true);
    router_.Add(Method::kGet, "/hello", "hello",
                [](Request&) { return JsonResponse(200, R"({"hello":"world"})"); });
    router_.Add(Method::kPost, "/echo", "echo",
                [](Request& r) { return JsonResponse(201, r.body); });
    ASSERT_THAT(WriteFileAtomic(certificate_file(), pem_.certificate, 0644), IsOk());
    ASSERT_THAT(WriteFileAtomic(key_file(), pem_.key, 0600), IsOk());
  }

  std::filesystem::path certificate_file() const { return dir_.path() / "fullchain.pem"; }
  std::filesystem::path key_file() const { return dir_.path() / "key.pem"; }

  HttpOptions TlsOptions() const {
    HttpOptions options;
    options.listen = "127.0.0.1:0";
    options.tls_certificate = certificate_file().string();
    options.tls_private_key = key_file().string();
    return options;
  }

  Status Start(HttpOptions options) {
    server_ = std::make_unique<HttpServer>(std::move(options), router_, metrics_, clock_);
    return server_->Start();
  }

  void StartTls(HttpOptions options) { ASSERT_THAT(Start(std::move(options)), IsOk()); }
  void StartTls() { StartTls(TlsOptions()); }

  std::string HandshakeFailures() const {
    const std::string text = metrics_.Render();
    const std::string name = "\ncitycode_http_tls_handshake_failures_total ";
    const std::size_t at = text.find(name);
    if (at == std::string::npos) return "(absent)";
    return text.substr(at + name.size(), text.find('\n', at + 1) - at - name.size());
  }

  ::citycode::testing::TempDir dir_;
  Pem pem_;
  Router router_;
  Metrics metrics_;
  ManualClock clock_{FromUnixSeconds(784'111'777)};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpsServerTest, AVerifyingClientGetsAnswersOnOneKeptAliveConnection) {
  StartTls();
  for (const std::string host : {"localhost", "127.0.0.1"}) {  // both in the certificate
    TlsClient client(server_->port(), pem_.certificate, host);
    ASSERT_FALSE(client.Handshake()) << host;
    EXPECT_EQ(SSL_version(client.native()), TLS1_3_VERSION);
    EXPECT_EQ(client.Alpn(), "http/1.1");
    auto first = client.Roundtrip(Get("/hello"));
    EXPECT_EQ(first.result_int(), 200);
    EXPECT_EQ(first.body(), R"({"hello":"world"})");
    EXPECT_TRUE(first.keep_alive());
    auto second = client.Roundtrip(
        "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
    EXPECT_EQ(second.result_int(), 201);
    EXPECT_EQ(second.body(), R"({"a":1})");
    auto last = client.Roundtrip(Get("/healthz", "Connection: close\r\n"));
    EXPECT_EQ(last.result_int(), 200);
    EXPECT_FALSE(last.keep_alive());
    EXPECT_EQ(client.ReadUntilClosed(), net::error::eof) << "closed with close_notify";
  }
  EXPECT_EQ(HandshakeFailures(), "0");
}

TEST_F(HttpsServerTest, ACertificateForAnotherNameIsRefusedByTheClient) {
  StartTls();
  TlsClient client(server_->port(), pem_.certificate, "citycode.example");
  EXPECT_TRUE(client.Handshake());
}

TEST_F(HttpsServerTest, TlsOnePointTwoIsServedAndOlderVersionsAreNot) {
  StartTls();
  TlsClient tls12(server_->port(), pem_.certificate, "localhost", TLS1_2_VERSION);
  ASSERT_FALSE(tls12.Handshake());
  EXPECT_EQ(SSL_version(tls12.native()), TLS1_2_VERSION);
  EXPECT_EQ(tls12.Roundtrip(Get("/hello")).result_int(), 200);

  TlsClient tls11(server_->port(), pem_.certificate, "localhost", TLS1_1_VERSION);
  const beast::error_code refused = tls11.Handshake();
  ASSERT_TRUE(refused);
  // The server's alert, not the client's own refusal.
  EXPECT_EQ(ERR_GET_REASON(static_cast<unsigned long>(refused.value())),
            SSL_R_TLSV1_ALERT_PROTOCOL_VERSION)
      << refused.message();
  server_->Stop();  // every completion handler has run
  EXPECT_EQ(HandshakeFailures(), "1");
}

TEST_F(HttpsServerTest, PlainHttpOnTheTlsPortGetsNoHttpAnswer) {
  StartTls();
  const PlainExchange exchange = SendPlain(server_->port(), Get("/hello"));
  EXPECT_TRUE(exchange.end == net::error::eof || exchange.end == net::error::connection_reset)
      << exchange.end.message();
  EXPECT_THAT(exchange.received, ::testing::Not(HasSubstr("HTTP/1.1")));
  // The listener serves TLS clients still.
  TlsClient client(server_->port(), pem_.certificate, "localhost");
  ASSERT_FALSE(client.Handshake());
  EXPECT_EQ(client.Roundtrip(Get("/hello")).result_int(), 200);
  server_->Stop();  // every completion handler has run
  EXPECT_EQ(HandshakeFailures(), "1");
}

TEST_F(HttpsServerTest, AClientThatNeverShakesHandsIsClosedAfterTheReadTimeout) {
  HttpOptions options = TlsOptions();
  options.read_timeout = 100ms;
  StartTls(options);
  const PlainExchange exchange = SendPlain(server_->port(), "");
  EXPECT_EQ(exchange.end, net::error::eof);
  EXPECT_EQ(exchange.received, "");
  server_->Stop();  // every completion handler has run
  EXPECT_EQ(HandshakeFailures(), "1");
}

// The lingering close over TLS: the answer to a refused request arrives
// whole although the client is still sending, then close_notify.
TEST_F(HttpsServerTest, ARefusedRequestIsAnsweredBeforeTheCloseNotify) {
  HttpOptions options = TlsOptions();
  options.max_body_bytes = 1024;
  StartTls(options);
  TlsClient client(server_->port(), pem_.certificate, "localhost");
  ASSERT_FALSE(client.Handshake());
  client.Send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 200000\r\n\r\n" +
              std::string(500'000, 'x'));
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_THAT(response.body(), HasSubstr("payload_too_large"));
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(client.ReadUntilClosed(), net::error::eof);
}

TEST_F(HttpsServerTest, StopClosesAnIdleTlsConnection) {
  StartTls();
  TlsClient client(server_->port(), pem_.certificate, "localhost");
  ASSERT_FALSE(client.Handshake());
  EXPECT_EQ(client.Roundtrip(Get("/hello")).result_int(), 200);
  server_->Stop();
  EXPECT_TRUE(client.ReadUntilClosed());
}

// --- Refused at Start() -----------------------------------------------------

TEST_F(HttpsServerTest, AKeyFileOthersCanReadIsRefused) {
  std::filesystem::permissions(key_file(), std::filesystem::perms(0644));
  EXPECT_THAT(Start(TlsOptions()),
              StatusIs(StatusCode::kFailedPrecondition, "failed_precondition",
                       AllOf(HasSubstr(key_file().string()), HasSubstr("mode 0644"),
                             HasSubstr("group or others"))));
  EXPECT_EQ(server_->port(), 0) << "nothing was bound";
  std::filesystem::permissions(key_file(), std::filesystem::perms(0640));
  EXPECT_THAT(Start(TlsOptions()), StatusIs(StatusCode::kFailedPrecondition, "failed_precondition",
                                            HasSubstr("mode 0640")));
  std::filesystem::permissions(key_file(), std::filesystem::perms(0400));
  EXPECT_THAT(Start(TlsOptions()), IsOk());
}

TEST_F(HttpsServerTest, AMissingFileIsRefusedNamingIt) {
  HttpOptions options = TlsOptions();
  options.tls_certificate = (dir_.path() / "none.pem").string();
  EXPECT_THAT(Start(options),
              StatusIs(StatusCode::kNotFound, "not_found",
                       AllOf(HasSubstr("tls_certificate"), HasSubstr(options.tls_certificate))));
  options = TlsOptions();
  options.tls_private_key = (dir_.path() / "none.key").string();
  EXPECT_THAT(Start(options),
              StatusIs(StatusCode::kNotFound, "not_found",
                       AllOf(HasSubstr("tls_private_key"), HasSubstr(options.tls_private_key))));
}

TEST_F(HttpsServerTest, GarbageIsRefusedNamingTheFile) {
  const std::filesystem::path garbage = dir_.path() / "garbage.pem";
  ASSERT_THAT(WriteFileAtomic(garbage,
                              "-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
                              "-----END CERTIFICATE-----\n",
                              0600),
              IsOk());
  HttpOptions options = TlsOptions();
  options.tls_certificate = garbage.string();
  EXPECT_THAT(Start(options), StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                                       HasSubstr("tls_certificate: " + garbage.string())));
  options = TlsOptions();
  options.tls_private_key = garbage.string();
  EXPECT_THAT(Start(options), StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                                       HasSubstr("tls_private_key: " + garbage.string())));
  // The certificate where the key should be.
  ASSERT_THAT(WriteFileAtomic(garbage, pem_.certificate, 0600), IsOk());
  EXPECT_THAT(Start(options), StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                                       HasSubstr("tls_private_key: " + garbage.string())));
}

TEST_F(HttpsServerTest, AnotherCertificatesKeyIsRefused) {
  const std::filesystem::path other = dir_.path() / "other.key";
  ASSERT_THAT(WriteFileAtomic(other, MakeSelfSigned().key, 0600), IsOk());
  HttpOptions options = TlsOptions();
  options.tls_private_key = other.string();
  EXPECT_THAT(Start(options),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                       AllOf(HasSubstr(other.string()), HasSubstr(certificate_file().string()))));
}

TEST_F(HttpsServerTest, AnEncryptedKeyIsRefusedWithoutAPrompt) {
  const std::filesystem::path encrypted = dir_.path() / "encrypted.key";
  {
    BioPtr in(BIO_new_mem_buf(pem_.key.data(), static_cast<int>(pem_.key.size())));
    PkeyPtr key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
    ASSERT_TRUE(key);
    BioPtr out(BIO_new(BIO_s_mem()));
    char password[] = "secret";
    ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(out.get(), key.get(), EVP_aes_256_cbc(), password,
                                            sizeof password - 1, nullptr, nullptr),
              1);
    ASSERT_THAT(WriteFileAtomic(encrypted, BioText(out.get()), 0600), IsOk());
  }
  HttpOptions options = TlsOptions();
  options.tls_private_key = encrypted.string();
  EXPECT_THAT(Start(options), StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                                       HasSubstr("tls_private_key: " + encrypted.string())));
}

TEST_F(HttpsServerTest, OneFileWithoutTheOtherIsRefused) {
  HttpOptions options = TlsOptions();
  options.tls_private_key.clear();
  EXPECT_THAT(Start(options), StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                                       HasSubstr("tls_private_key")));
  options = TlsOptions();
  options.tls_certificate.clear();
  EXPECT_THAT(Start(options), StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                                       HasSubstr("tls_certificate")));
}

// --- curl, a client we did not write ----------------------------------------

// Runs `argv` (found on PATH) to its end; its stdout, or nullopt if it
// cannot be started.
struct Ran {
  int exit_code = -1;
  std::string out;
};

std::optional<Ran> RunProgram(std::vector<std::string> argv_strings) {
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  if (spawned != 0) {
    close(out_pipe[0]);
    return std::nullopt;
  }
  Ran ran;
  char buf[4096];
  ssize_t n;
  while ((n = read(out_pipe[0], buf, sizeof buf)) > 0) ran.out.append(buf, static_cast<size_t>(n));
  close(out_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) ran.exit_code = WEXITSTATUS(status);
  return ran;
}

TEST_F(HttpsServerTest, CurlFetchesHealthzTrustingTheCertificate) {
  StartTls();
  const std::string url = "https://127.0.0.1:" + std::to_string(server_->port()) + "/healthz";
  auto ran = RunProgram({"curl", "--silent", "--show-error", "--max-time", "10", "--cacert",
                         certificate_file().string(), "--write-out",
                         " %{http_code} %{http_version}", url});
  if (!ran || ran->exit_code == 127) GTEST_SKIP() << "curl is not installed";
  EXPECT_EQ(ran->exit_code, 0);
  EXPECT_EQ(ran->out, R"({"status":"ok"} 200 1.1)");
  // Without the certificate as a trust anchor, curl refuses (60: peer certificate).
  auto untrusted = RunProgram({"curl", "--silent", "--max-time", "10", url});
  ASSERT_TRUE(untrusted);
  EXPECT_EQ(untrusted->exit_code, 60);
}

// --- [server] in citycode.toml ----------------------------------------------

Status LoadServerSection(const std::string& section) {
  ::citycode::testing::TempDir dir("https-config-section");
  const auto file = dir.path() / "citycode.toml";
  std::ofstream(file) << "[server]\n" << section;
  ServiceConfig config;
  return LoadConfigFile(file, config);
}

TEST(HttpsConfigTest, CertificateAndKeyComeTogether) {
  ::citycode::testing::TempDir dir("https-config");
  std::ofstream(dir.path() / "citycode.toml")
      << "[server]\ntls_certificate = \"a/fullchain.pem\"\ntls_private_key = \"a/key.pem\"\n";
  ServiceConfig config;
  ASSERT_THAT(LoadConfigFile(dir.path() / "citycode.toml", config), IsOk());
  EXPECT_EQ(config.http.tls_certificate, "a/fullchain.pem");
  EXPECT_EQ(config.http.tls_private_key, "a/key.pem");

  EXPECT_THAT(LoadServerSection("tls_certificate = \"a/fullchain.pem\"\n"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                       HasSubstr("server.tls_private_key")));
  EXPECT_THAT(LoadServerSection("tls_private_key = \"a/key.pem\"\n"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                       HasSubstr("server.tls_certificate")));
}

}  // namespace
}  // namespace citycode::server
