// Schema discovery with the PostgreSQL JDBC driver's DatabaseMetaData, as BI tools and agents'
// SQL toolkits do it: each call prints a line `name=count` (or `name-error=SQLSTATE message`).
// Run: java -cp postgresql.jar PgJdbcMetadata.java JDBC_URL USER TOKEN
import java.sql.*;
import java.util.Properties;

public class PgJdbcMetadata {
  interface Call { ResultSet run(DatabaseMetaData md) throws SQLException; }

  static void count(DatabaseMetaData md, String name, Call call) {
    try (ResultSet rs = call.run(md)) {
      int n = 0;
      while (rs.next()) n++;
      System.out.println(name + "=" + n);
    } catch (SQLException e) {
      System.out.println(name + "-error=" + e.getSQLState() + " " + e.getMessage().replace('\n', ' '));
    }
  }

  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.setProperty("user", args[1]);
    props.setProperty("password", args[2]);
    try (Connection c = DriverManager.getConnection(args[0], props)) {
      DatabaseMetaData md = c.getMetaData();
      System.out.println("product=" + md.getDatabaseProductName() + " " + md.getDatabaseProductVersion());
      count(md, "schemas", m -> m.getSchemas());
      count(md, "catalogs", m -> m.getCatalogs());
      count(md, "tableTypes", m -> m.getTableTypes());
      count(md, "tables", m -> m.getTables(null, "clinic", "%", new String[] {"TABLE", "VIEW"}));
      count(md, "columns", m -> m.getColumns(null, "clinic", "patients", "%"));
      count(md, "primaryKeys", m -> m.getPrimaryKeys(null, "clinic", "patients"));
      count(md, "importedKeys", m -> m.getImportedKeys(null, "clinic", "encounters"));
      count(md, "exportedKeys", m -> m.getExportedKeys(null, "clinic", "patients"));
      count(md, "indexInfo", m -> m.getIndexInfo(null, "clinic", "patients", false, true));
      count(md, "typeInfo", m -> m.getTypeInfo());
      count(md, "procedures", m -> m.getProcedures(null, "clinic", "%"));
      count(md, "functions", m -> m.getFunctions(null, "clinic", "%"));
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select id, full_name from clinic.patients order by id limit 2")) {
        ResultSetMetaData rmd = rs.getMetaData();
        System.out.println("resultColumns=" + rmd.getColumnCount() + " table=" + rmd.getTableName(1) + " type=" + rmd.getColumnTypeName(2));
        while (rs.next()) System.out.println("row=" + rs.getInt(1) + "," + rs.getString(2));
      }
    }
  }
}
