package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.PfxOptions;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An {@code https} upstream through the pool, with the gateway's own socket options: TLS with SNI
 * works, and a certificate for another host is refused. The certificate is made with the JDK's
 * keytool; the test's client trusts it in place of the JVM's CAs.
 */
class UpstreamTlsIT {
  private static final String PASSWORD = "changeit";

  private final Vertx vertx = Vertx.vertx();
  private final Context loop = vertx.getOrCreateContext();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void anHttpsUpstreamWhoseCertificateNamesTheHostIsUsed(@TempDir Path dir) throws Exception {
    // Given a TLS upstream with a certificate for localhost
    Path keystore = certificate(dir, "localhost");
    int port = tlsServer(keystore);

    // When the pool makes an exchange to https://localhost
    String body = exchange(keystore, "https://localhost:" + port);

    // Then the response came back over TLS
    assertThat(body).isEqualTo("ok");
  }

  @Test
  void aCertificateForAnotherHostIsRefused(@TempDir Path dir) throws Exception {
    // Given a TLS upstream whose (trusted) certificate names another host
    Path keystore = certificate(dir, "model.example");
    int port = tlsServer(keystore);

    // When the pool connects to it as localhost, then the handshake fails on the name
    assertThatThrownBy(() -> exchange(keystore, "https://localhost:" + port))
        .isInstanceOf(ExecutionException.class);
  }

  @Test
  void anHttpsUpstreamAtAnIpv4AddressIsCheckedAgainstTheCertificatesIpAddresses(@TempDir Path dir)
      throws Exception {
    // Given a TLS upstream at 127.0.0.1 whose certificate names that IP (RFC 6066: no SNI for an
    // address; the address is matched against the certificate's IP SANs, RFC 2818 §3.1)
    Path keystore = certificate(dir, "ip4", "127.0.0.1", "SAN=ip:127.0.0.1");
    int port = tlsServer(keystore);

    // When the pool makes an exchange to https://127.0.0.1
    String body = exchange(keystore, "https://127.0.0.1:" + port);

    // Then it worked, and the server saw no server name
    assertThat(body).isEqualTo("ok");
    assertThat(serverNames).containsExactly("");
  }

  @Test
  void anHttpsUpstreamAtAnIpv6AddressConnects(@TempDir Path dir) throws Exception {
    // Given a TLS upstream at [::1] whose certificate names that IP (the host used to be sent as
    // SNI and the handshake failed on "non-LDH ASCII characters")
    Assumptions.assumeTrue(ipv6Loopback(), "no IPv6 loopback on this machine");
    Path keystore = certificate(dir, "ip6", "::1", "SAN=ip:::1");
    int port = tlsServer(keystore, "::1");

    // When the pool makes an exchange to https://[::1]
    String body = exchange(keystore, "https://[::1]:" + port);

    // Then it worked
    assertThat(body).isEqualTo("ok");
  }

  @Test
  void aCertificateWithoutTheIpIsRefusedForAnIpUpstream(@TempDir Path dir) throws Exception {
    // Given a TLS upstream at 127.0.0.1 whose certificate names only localhost
    Path keystore = certificate(dir, "localhost");
    int port = tlsServer(keystore);

    // When the pool connects to it by IP, then the handshake fails on the name
    assertThatThrownBy(() -> exchange(keystore, "https://127.0.0.1:" + port))
        .isInstanceOf(ExecutionException.class);
  }

  @Test
  void aDnsNameIsSentAsTheServerName(@TempDir Path dir) throws Exception {
    // Given a TLS upstream with a certificate for localhost
    Path keystore = certificate(dir, "localhost");
    int port = tlsServer(keystore);

    // When the pool connects to https://localhost, then SNI named it
    exchange(keystore, "https://localhost:" + port);
    assertThat(serverNames).containsExactly("localhost");
  }

  private static boolean ipv6Loopback() {
    try (java.net.ServerSocket s = new java.net.ServerSocket()) {
      s.bind(new java.net.InetSocketAddress("::1", 0));
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private final java.util.List<String> serverNames = new java.util.concurrent.CopyOnWriteArrayList<>();

  private int tlsServer(Path keystore) {
    return tlsServer(keystore, "127.0.0.1");
  }

  private int tlsServer(Path keystore, String host) {
    NetServer server = vertx.createNetServer(new NetServerOptions().setSsl(true)
        .setKeyCertOptions(new PfxOptions().setPath(keystore.toString()).setPassword(PASSWORD))
        .setSni(true));
    server.connectHandler(socket -> socket.handler(buf -> {
      if (serverNames.isEmpty()) {
        serverNames.add(socket.indicatedServerName() == null ? "" : socket.indicatedServerName());
      }
      if (buf.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
        socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
      }
    }));
    return server.listen(0, host).await().actualPort();
  }

  private String exchange(Path truststore, String url) throws Exception {
    NetClient client = vertx.createNetClient(UpstreamPools.clientOptions(2_000)
        .setTrustOptions(new PfxOptions().setPath(truststore.toString()).setPassword(PASSWORD)));
    UpstreamOrigin origin = UpstreamOrigin.parse(url);
    UpstreamPool pool = new UpstreamPool(vertx, client, origin, 2_000, 4, 4,
        UpstreamPool.Lifecycle.defaults(2_000, 300_000), System::nanoTime);
    Promise<String> done = Promise.promise();
    Buffer request = Buffer.buffer("POST /v1/chat/completions HTTP/1.1\r\nHost: "
        + origin.hostHeader() + "\r\nContent-Length: 0\r\n\r\n");
    loop.runOnContext(v -> pool.acquire(false).onComplete(ar -> {
      if (ar.failed()) {
        done.fail(ar.cause());
        return;
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      ar.result().send(request, new UpstreamConnection.Exchange() {
        @Override
        public void onHead(int status) { }

        @Override
        public void onBody(byte[] bytes, int offset, int length) {
          body.write(bytes, offset, length);
        }

        @Override
        public void onEnd() {
          done.tryComplete(body.toString(StandardCharsets.UTF_8));
        }

        @Override
        public void onFailure(UpstreamConnection.ConnectionFailure failure) {
          done.tryFail(failure);
        }
      });
    }));
    return done.future().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  /** A PKCS#12 keystore holding a self-signed certificate for {@code host}, made by keytool. */
  private static Path certificate(Path dir, String host) throws Exception {
    return certificate(dir, host, host, "SAN=dns:" + host);
  }

  private static Path certificate(Path dir, String file, String host, String san) throws Exception {
    Path keystore = dir.resolve(file + ".p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "upstream",
        "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2", "-dname", "CN=" + host.replace(":", "_"),
        "-ext", san, "-storetype", "PKCS12", "-keystore", keystore.toString(),
        "-storepass", PASSWORD, "-keypass", PASSWORD)
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("keytool: " + output).isZero();
    return keystore;
  }
}
