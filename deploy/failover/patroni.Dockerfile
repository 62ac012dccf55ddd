# A Patroni node: Debian's PostgreSQL 15 and Debian's Patroni (the versions the failover harness
# runs with), started as the postgres user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 patroni python3-psycopg2 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data && chown -R postgres:postgres /var/lib/postgresql
COPY patroni.yml /etc/patroni/patroni.yml
USER postgres
EXPOSE 5432 8008
HEALTHCHECK --interval=5s --timeout=3s CMD curl -fsS http://localhost:8008/health || exit 1
CMD ["patroni", "/etc/patroni/patroni.yml"]
