// The PostgreSQL JDBC driver (Debian's libpostgresql-jdbc-java) against a
// PostgreSQL-compatible server: prints a transcript in sections (`== name`) that must read
// the same on Strata and PostgreSQL 15.
//
// Usage: java -cp /usr/share/java/postgresql.jar JdbcTest.java postgresql://user@host:port/db
import java.sql.*;
import java.util.*;

public class JdbcTest {
    interface Section { void run(Connection c) throws Exception; }

    static void show(Object... values) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) sb.append(" | ");
            sb.append(String.valueOf(values[i]));
        }
        System.out.println(sb);
    }

    static List<String> rows(ResultSet rs) throws SQLException {
        List<String> out = new ArrayList<>();
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i <= n; i++) {
                if (i > 1) sb.append(",");
                sb.append(rs.getString(i));
            }
            out.add(sb.toString());
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        // postgresql://user@host:port/db[?q] → jdbc:postgresql://host:port/db?user=user[&q]
        String rest = args[0].substring("postgresql://".length());
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = "&" + rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        int at = rest.indexOf('@');
        String url = "jdbc:postgresql://" + rest.substring(at + 1) + "?user=" + rest.substring(0, at) + query;
        LinkedHashMap<String, Section> sections = new LinkedHashMap<>();
        sections.put("connect", c -> {
            DatabaseMetaData md = c.getMetaData();
            show(md.getDatabaseProductName(), md.getDatabaseMajorVersion());
            try (Statement s = c.createStatement()) {
                show(rows(s.executeQuery("SELECT 1 + 1, 'x'::text")));
                show(rows(s.executeQuery("SHOW DateStyle")));
            }
        });
        sections.put("prepared_statements", c -> {
            try (Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS j");
                s.execute("CREATE TABLE j (id int PRIMARY KEY, name text, v bigint)");
            }
            // pgjdbc switches to a named server-side statement after 5 executions.
            try (PreparedStatement p = c.prepareStatement("INSERT INTO j VALUES (?, ?, ?)")) {
                for (int i = 0; i < 12; i++) {
                    p.setInt(1, i);
                    p.setString(2, i % 3 == 0 ? null : "n" + i);
                    p.setLong(3, 10000000000L + i);
                    p.executeUpdate();
                }
            }
            List<String> got = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT name, v FROM j WHERE id = ?")) {
                for (int i = 0; i < 8; i++) {
                    p.setInt(1, i);
                    got.addAll(rows(p.executeQuery()));
                }
            }
            show(got);
        });
        sections.put("batches", c -> {
            try (Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS jb");
                s.execute("CREATE TABLE jb (id int PRIMARY KEY, v double precision)");
            }
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("INSERT INTO jb VALUES (?, ?)")) {
                for (int i = 0; i < 50; i++) {
                    p.setInt(1, i);
                    p.setDouble(2, i / 4.0);
                    p.addBatch();
                }
                show(Arrays.stream(p.executeBatch()).sum());
            }
            c.commit();
            try (Statement s = c.createStatement()) {
                s.addBatch("UPDATE jb SET v = v + 1 WHERE id < 10");
                s.addBatch("DELETE FROM jb WHERE id >= 40");
                show(Arrays.toString(s.executeBatch()));
                c.rollback();
                show(rows(s.executeQuery("SELECT count(*), sum(v) FROM jb")));
            }
            c.setAutoCommit(true);
        });
        sections.put("errors", c -> {
            try (Statement s = c.createStatement()) {
                for (String sql : new String[] {"SELEC 1", "SELECT * FROM nope", "SELECT 1/0"}) {
                    try {
                        s.executeQuery(sql);
                    } catch (SQLException e) {
                        show(e.getSQLState());
                    }
                }
            }
        });
        sections.put("metadata", c -> {
            try (Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS jm");
                s.execute("CREATE TABLE jm (id int PRIMARY KEY, label varchar(10) NOT NULL)");
            }
            DatabaseMetaData md = c.getMetaData();
            try (ResultSet rs = md.getTables(null, "public", "jm", new String[] {"TABLE"})) {
                while (rs.next()) show(rs.getString("TABLE_NAME"), rs.getString("TABLE_TYPE"));
            }
            try (ResultSet rs = md.getColumns(null, "public", "jm", null)) {
                while (rs.next()) {
                    show(rs.getString("COLUMN_NAME"), rs.getString("TYPE_NAME"), rs.getInt("NULLABLE"));
                }
            }
        });
        sections.put("listen_notify", c -> {
            // An idle listener waiting in getNotifications(timeout) hears another session's
            // committed NOTIFY (folded, a rolled-back one never arrives).
            try (Statement s = c.createStatement()) {
                s.execute("LISTEN jobs");
            }
            try (Connection other = DriverManager.getConnection(url)) {
                other.setAutoCommit(false);
                try (Statement s = other.createStatement()) {
                    s.execute("NOTIFY jobs, 'rolled back'");
                    other.rollback();
                    s.execute("NOTIFY jobs, 'one'");
                    s.execute("NOTIFY jobs, 'one'");
                }
                try (PreparedStatement p = other.prepareStatement("SELECT pg_notify(?, ?)")) {
                    p.setString(1, "jobs");
                    p.setString(2, "two");
                    p.executeQuery();
                }
                other.commit();
                int pid = other.unwrap(org.postgresql.PGConnection.class).getBackendPID();
                org.postgresql.PGConnection pg = c.unwrap(org.postgresql.PGConnection.class);
                List<String> got = new ArrayList<>();
                long deadline = System.currentTimeMillis() + 10000;
                while (got.size() < 2 && System.currentTimeMillis() < deadline) {
                    org.postgresql.PGNotification[] ns = pg.getNotifications(500);
                    if (ns == null) continue;
                    for (org.postgresql.PGNotification n : ns) {
                        got.add(n.getName() + "," + n.getParameter() + "," + (n.getPID() == pid));
                    }
                }
                org.postgresql.PGNotification[] more = pg.getNotifications(300);
                show(got, more == null ? 0 : more.length);
            }
        });
        for (Map.Entry<String, Section> e : sections.entrySet()) {
            System.out.println("== " + e.getKey());
            try (Connection c = DriverManager.getConnection(url)) {
                e.getValue().run(c);
            } catch (SQLException ex) {
                show("ERROR", ex.getSQLState());
            } catch (Exception ex) {
                show("ERROR", ex.getClass().getSimpleName());
            }
            System.out.flush();
        }
    }
}
