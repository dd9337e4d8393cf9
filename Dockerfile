# Multi-stage build: Maven builds the shaded jar, a slim JRE 17 image runs `thinkgate serve`.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src ./src
RUN mvn -B -q package -DskipTests

FROM eclipse-temurin:17-jre
# A fixed numeric UID, so Kubernetes' runAsNonRoot can verify it (deploy/kubernetes runs as 10001).
RUN groupadd --system --gid 10001 thinkgate \
    && useradd --system --uid 10001 --gid thinkgate --home /app thinkgate
WORKDIR /app
COPY --from=build /src/target/thinkgate.jar /app/thinkgate.jar
# Baked-in defaults; mount volumes over /app/conf and /app/policies to override.
COPY conf /app/conf
COPY policies /app/policies
RUN mkdir -p /app/audit && chown -R thinkgate:thinkgate /app/audit
USER 10001:10001
EXPOSE 8080 9090
ENV JAVA_OPTS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /app/thinkgate.jar \"$@\"", "thinkgate"]
CMD ["serve", "--config", "/app/conf/thinkgate.yaml", "--policies", "/app/policies"]
