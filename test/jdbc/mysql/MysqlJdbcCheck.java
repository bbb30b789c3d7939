// Drives sqlveil with MariaDB Connector/J: server-side prepared statements, batch inserts, and an
// error that leaves the connection usable.
// Run: java -cp mariadb-java-client.jar MysqlJdbcCheck.java JDBC_URL USER TOKEN
import java.sql.*;
import java.util.Properties;

public class MysqlJdbcCheck {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.setProperty("user", args[1]);
    props.setProperty("password", args[2]);
    try (Connection c = DriverManager.getConnection(args[0], props)) {
      try (PreparedStatement ps = c.prepareStatement("select id, full_name, balance_cents, dob from patients where id = ?")) {
        long sum = 0;
        for (int round = 0; round < 5; round++) {
          for (int id = 1; id <= 5; id++) {
            ps.setInt(1, id);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) throw new AssertionError("no row for id " + id);
              sum += rs.getLong("balance_cents");
            }
          }
        }
        System.out.println("prepared-sum=" + sum);
      }
      try (Statement st = c.createStatement()) {
        st.execute("create temporary table jdbc_batch(id int primary key, note text)");
      }
      c.setAutoCommit(false);
      try (PreparedStatement ins = c.prepareStatement("insert into jdbc_batch values (?, ?)")) {
        for (int i = 0; i < 1000; i++) {
          ins.setInt(1, i);
          ins.setString(2, "note " + i);
          ins.addBatch();
        }
        int[] counts = ins.executeBatch();
        System.out.println("batch=" + counts.length);
      }
      c.commit();
      c.setAutoCommit(true);
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select count(*), sum(id) from jdbc_batch")) {
        rs.next();
        System.out.println("batch-count=" + rs.getLong(1) + " batch-sum=" + rs.getLong(2));
      }
      try (Statement st = c.createStatement()) {
        st.executeQuery("select * from no_such_table");
        throw new AssertionError("the missing table did not fail");
      } catch (SQLException e) {
        System.out.println("error-state=" + e.getSQLState());
      }
      try (PreparedStatement ps = c.prepareStatement("select concat(?, 'ok')")) {
        ps.setString(1, "still-");
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          System.out.println("after-error=" + rs.getString(1));
        }
      }
    }
  }
}
