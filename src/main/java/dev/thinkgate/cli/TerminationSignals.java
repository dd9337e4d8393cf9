package dev.thinkgate.cli;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Takes SIGTERM and SIGINT from the JVM's default handler (which exits with 143 or 130 while
 * shutdown hooks run) and hands them to {@code serve}, which drains and then exits 0 as an
 * orchestrator expects. Uses {@code sun.misc.Signal} through reflection, like the SIGHUP reload,
 * so a JVM without it still runs: there the shutdown hook drains and the exit code is the JVM's.
 */
final class TerminationSignals {
  private static final System.Logger LOG = System.getLogger("thinkgate");

  private TerminationSignals() {}

  /**
   * @param onSignal called with the signal's name ({@code TERM}, {@code INT}) on the JVM's signal
   *     thread; must not block
   * @return the signals now routed to {@code onSignal}
   */
  static List<String> install(Consumer<String> onSignal) {
    List<String> installed = new ArrayList<>();
    for (String name : List.of("TERM", "INT")) {
      try {
        Class<?> signalClass = Class.forName("sun.misc.Signal");
        Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
        Object signal = signalClass.getConstructor(String.class).newInstance(name);
        Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(),
            new Class<?>[] {handlerClass}, (proxy, method, args) -> switch (method.getName()) {
              case "handle" -> {
                onSignal.accept(name);
                yield null;
              }
              case "hashCode" -> System.identityHashCode(proxy);
              case "equals" -> proxy == args[0];
              case "toString" -> "thinkgate SIG" + name + " drain";
              default -> null;
            });
        Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
        handle.invoke(null, signal, handler);
        installed.add(name);
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        LOG.log(System.Logger.Level.INFO, "SIG" + name + " stays the JVM's ({0}); the shutdown"
            + " hook still drains", e.toString());
      }
    }
    return installed;
  }
}
