<?xml version="1.0" encoding="UTF-8"?>
<!-- HTML rendering of a form (docs/forms.md). Input, built by
     core/formrender.c:
       <render lang="fr" fallback="fr" today="YYYY-MM-DD">
         <f:form …>the definition</f:form>
         <values><value field="q1">2</value>…</values>
         <problems><problem field="q1">message</problem>…</problems>
         <words><word key="required">obligatoire</word>…</words>
       </render>
     Output: one <form> element, labels bound to inputs (for/id), hints and
     server errors bound with aria-describedby, required marks. -->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:f="urn:filrouge:form:1"
                exclude-result-prefixes="f">
  <xsl:output method="html" encoding="UTF-8" indent="yes"/>

  <xsl:variable name="lang" select="/render/@lang"/>
  <xsl:variable name="fallback" select="/render/@fallback"/>

  <!-- The text child in the chosen language, else the site's first
       language, else the first one. -->
  <xsl:template name="text">
    <xsl:param name="of"/>
    <xsl:choose>
      <xsl:when test="$of[@lang = $lang]"><xsl:value-of select="$of[@lang = $lang][1]"/></xsl:when>
      <xsl:when test="$of[@lang = $fallback]"><xsl:value-of select="$of[@lang = $fallback][1]"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="$of[1]"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="/render">
    <xsl:apply-templates select="f:form"/>
  </xsl:template>

  <!-- The language the form's title is shown in: the reader's, else the
       site's first, else the first given. -->
  <xsl:template name="shown-lang">
    <xsl:choose>
      <xsl:when test="not(f:title) or f:title[@lang = $lang]"><xsl:value-of select="$lang"/></xsl:when>
      <xsl:when test="f:title[@lang = $fallback]"><xsl:value-of select="$fallback"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="f:title[1]/@lang"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="f:form">
    <xsl:variable name="shown"><xsl:call-template name="shown-lang"/></xsl:variable>
    <form class="fr-form" method="post" data-form="{@id}" data-version="{@version}" data-today="{/render/@today}" lang="{$shown}">
      <h1>
        <xsl:call-template name="text"><xsl:with-param name="of" select="f:title"/></xsl:call-template>
      </h1>
      <!-- A text missing in the reader's language (a validated instrument
           without its official translation) is said once, in their
           language, rather than silently shown in another. -->
      <xsl:if test=".//*[(f:title and not(f:title[@lang = $lang])) or (f:label and not(f:label[@lang = $lang])) or (f:hint and not(f:hint[@lang = $lang]))]">
        <p class="fr-untranslated" role="note" lang="{$lang}"><xsl:value-of select="/render/words/word[@key = 'untranslated']"/></p>
      </xsl:if>
      <xsl:if test="/render/problems/problem[@field = '']">
        <div class="fr-errors" role="alert">
          <xsl:for-each select="/render/problems/problem[@field = '']">
            <p class="fr-error"><xsl:value-of select="."/></p>
          </xsl:for-each>
        </div>
      </xsl:if>
      <xsl:apply-templates select="f:section | f:group | f:field | f:external"/>
      <p><button type="submit"><xsl:value-of select="/render/words/word[@key = 'submit']"/></button></p>
    </form>
  </xsl:template>

  <xsl:template match="f:section">
    <xsl:param name="prefix" select="''"/>
    <section id="section-{@id}">
      <xsl:if test="@relevant"><xsl:attribute name="data-relevant"><xsl:value-of select="@relevant"/></xsl:attribute></xsl:if>
      <xsl:if test="f:label">
        <h2><xsl:call-template name="text"><xsl:with-param name="of" select="f:label"/></xsl:call-template></h2>
      </xsl:if>
      <xsl:apply-templates select="f:group | f:field"><xsl:with-param name="prefix" select="$prefix"/></xsl:apply-templates>
    </section>
  </xsl:template>

  <xsl:template match="f:group">
    <xsl:param name="prefix" select="''"/>
    <fieldset id="group-{translate(concat($prefix, @id), '[].', '--')}" class="fr-group">
      <xsl:if test="@relevant"><xsl:attribute name="data-relevant"><xsl:value-of select="@relevant"/></xsl:attribute></xsl:if>
      <legend><xsl:call-template name="text"><xsl:with-param name="of" select="f:label"/></xsl:call-template></legend>
      <xsl:apply-templates select="f:group | f:field"><xsl:with-param name="prefix" select="$prefix"/></xsl:apply-templates>
    </fieldset>
  </xsl:template>

  <!-- A repeat group: one block per row of the values (names and ids carry
       the row: member[2].member-name), or one empty row. -->
  <xsl:template match="f:group[@repeat = 'true']">
    <xsl:param name="prefix" select="''"/>
    <xsl:variable name="group" select="."/>
    <xsl:variable name="rows" select="/render/rows/row[@group = $group/@id and @parent = $prefix]"/>
    <fieldset id="group-{translate(concat($prefix, @id), '[].', '--')}" class="fr-group fr-repeat" data-repeat="{@id}">
      <xsl:if test="@relevant"><xsl:attribute name="data-relevant"><xsl:value-of select="@relevant"/></xsl:attribute></xsl:if>
      <legend><xsl:call-template name="text"><xsl:with-param name="of" select="f:label"/></xsl:call-template></legend>
      <xsl:for-each select="/render/problems/problem[@field = concat($prefix, $group/@id)]">
        <p class="fr-error" role="alert"><xsl:value-of select="."/></p>
      </xsl:for-each>
      <xsl:choose>
        <xsl:when test="$rows">
          <xsl:for-each select="$rows">
            <xsl:variable name="row" select="@prefix"/>
            <div class="fr-row" data-row="{@index}">
              <xsl:apply-templates select="$group/f:group | $group/f:field"><xsl:with-param name="prefix" select="$row"/></xsl:apply-templates>
              <xsl:call-template name="remove-row"><xsl:with-param name="row" select="$row"/></xsl:call-template>
            </div>
          </xsl:for-each>
        </xsl:when>
        <xsl:otherwise>
          <div class="fr-row" data-row="1">
            <xsl:apply-templates select="f:group | f:field"><xsl:with-param name="prefix" select="concat($prefix, @id, '[1].')"/></xsl:apply-templates>
            <xsl:call-template name="remove-row"><xsl:with-param name="row" select="concat($prefix, @id, '[1].')"/></xsl:call-template>
          </div>
        </xsl:otherwise>
      </xsl:choose>
      <!-- without script: the page comes back with one more row, nothing saved -->
      <p class="fr-repeat-actions">
        <button type="submit" class="secondary fr-addrow" formnovalidate="formnovalidate" name="_action" value="addrow:{concat($prefix, @id)}">
          <xsl:text>+ </xsl:text><xsl:value-of select="/render/words/word[@key = 'addrow']"/><xsl:text> : </xsl:text>
          <xsl:call-template name="text"><xsl:with-param name="of" select="f:label"/></xsl:call-template>
        </button>
      </p>
    </fieldset>
  </xsl:template>

  <!-- An external result: the fixed fields every licensed instrument stores. -->
  <xsl:template match="f:external">
    <p class="fr-instrument"><xsl:call-template name="text"><xsl:with-param name="of" select="f:instrument"/></xsl:call-template></p>
    <xsl:for-each select="/render/external/field">
      <div class="fr-field" id="field-{@id}">
        <xsl:if test="/render/problems/problem[@field = current()/@id]"><xsl:attribute name="class">fr-field fr-invalid</xsl:attribute></xsl:if>
        <label for="f-{@id}"><xsl:value-of select="."/>
          <abbr class="fr-required" title="{/render/words/word[@key = 'required']}">*</abbr></label>
        <xsl:variable name="v" select="/render/values/value[@field = current()/@id]"/>
        <input id="f-{@id}" name="{@id}" required="required" aria-required="true">
          <xsl:choose>
            <!-- a date is shown and typed day/month/year whatever the browser's locale -->
            <xsl:when test="@input = 'date'">
              <xsl:attribute name="type">text</xsl:attribute>
              <xsl:attribute name="value"><xsl:choose>
                <xsl:when test="string-length($v) = 10 and substring($v, 5, 1) = '-'"><xsl:value-of select="concat(substring($v, 9, 2), '/', substring($v, 6, 2), '/', substring($v, 1, 4))"/></xsl:when>
                <xsl:otherwise><xsl:value-of select="$v"/></xsl:otherwise>
              </xsl:choose></xsl:attribute>
              <xsl:attribute name="inputmode">numeric</xsl:attribute>
              <xsl:attribute name="pattern">[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}</xsl:attribute>
              <xsl:attribute name="placeholder"><xsl:value-of select="/render/words/word[@key = 'dateformat']"/></xsl:attribute>
              <xsl:attribute name="autocomplete">off</xsl:attribute>
              <xsl:attribute name="data-date">dmy</xsl:attribute>
            </xsl:when>
            <xsl:otherwise>
              <xsl:attribute name="type"><xsl:value-of select="@input"/></xsl:attribute>
              <xsl:attribute name="value"><xsl:value-of select="$v"/></xsl:attribute>
            </xsl:otherwise>
          </xsl:choose>
          <xsl:if test="@min"><xsl:attribute name="min"><xsl:value-of select="@min"/></xsl:attribute></xsl:if>
          <xsl:if test="@max"><xsl:attribute name="max"><xsl:value-of select="@max"/></xsl:attribute></xsl:if>
          <xsl:if test="@input = 'number'"><xsl:attribute name="step">any</xsl:attribute></xsl:if>
          <xsl:if test="/render/problems/problem[@field = current()/@id]">
            <xsl:attribute name="aria-invalid">true</xsl:attribute>
            <xsl:attribute name="aria-describedby">err-<xsl:value-of select="@id"/></xsl:attribute>
          </xsl:if>
        </input>
        <xsl:if test="@input = 'date'"><input type="hidden" name="_date" value="{@id}"/></xsl:if>
        <xsl:for-each select="/render/problems/problem[@field = current()/@id]">
          <p class="fr-error" id="err-{@field}" role="alert"><xsl:value-of select="."/></p>
        </xsl:for-each>
      </div>
    </xsl:for-each>
  </xsl:template>

  <xsl:template match="f:field">
    <xsl:param name="prefix" select="''"/>
    <!-- key: the field's name in answers and errors; id: the same made an HTML id -->
    <xsl:variable name="key" select="concat($prefix, @id)"/>
    <xsl:variable name="id" select="translate($key, '[].', '--')"/>
    <xsl:variable name="value" select="/render/values/value[@field = $key]"/>
    <xsl:variable name="problem" select="/render/problems/problem[@field = $key]"/>
    <xsl:variable name="described">
      <xsl:if test="f:hint">hint-<xsl:value-of select="$id"/></xsl:if>
      <xsl:if test="f:hint and $problem"><xsl:text> </xsl:text></xsl:if>
      <xsl:if test="$problem">err-<xsl:value-of select="$id"/></xsl:if>
    </xsl:variable>
    <xsl:variable name="label">
      <xsl:call-template name="text"><xsl:with-param name="of" select="f:label"/></xsl:call-template>
    </xsl:variable>
    <div class="fr-field fr-{@type}" id="field-{$id}">
      <xsl:if test="@relevant"><xsl:attribute name="data-relevant"><xsl:value-of select="@relevant"/></xsl:attribute></xsl:if>
      <xsl:if test="$problem"><xsl:attribute name="class">fr-field fr-<xsl:value-of select="@type"/> fr-invalid</xsl:attribute></xsl:if>
      <xsl:choose>
        <xsl:when test="@type = 'note'">
          <p class="fr-note"><xsl:value-of select="$label"/></p>
        </xsl:when>
        <xsl:when test="@type = 'choice' or @type = 'multi-choice'">
          <xsl:variable name="options" select="f:option | /render/f:form/f:choices[@id = current()/@choices]/f:option"/>
          <xsl:variable name="fid" select="@id"/>
          <fieldset>
            <xsl:if test="string($described) != ''"><xsl:attribute name="aria-describedby"><xsl:value-of select="$described"/></xsl:attribute></xsl:if>
            <legend><xsl:value-of select="$label"/><xsl:call-template name="required-mark"/></legend>
            <xsl:for-each select="$options">
              <xsl:variable name="code" select="@code"/>
              <div class="fr-option">
                <input id="f-{$id}-{position()}" name="{$key}" value="{$code}">
                  <xsl:if test="@points"><xsl:attribute name="data-points"><xsl:value-of select="@points"/></xsl:attribute></xsl:if>
                  <xsl:attribute name="type"><xsl:choose><xsl:when test="../@type = 'multi-choice' or (not(../@type) and /render/f:form//f:field[@id = $fid]/@type = 'multi-choice')">checkbox</xsl:when><xsl:otherwise>radio</xsl:otherwise></xsl:choose></xsl:attribute>
                  <xsl:if test="contains(concat(' ', normalize-space($value), ' '), concat(' ', $code, ' '))"><xsl:attribute name="checked">checked</xsl:attribute></xsl:if>
                  <xsl:if test="/render/f:form//f:field[@id = $fid]/@required = 'true' and /render/f:form//f:field[@id = $fid]/@type = 'choice'"><xsl:attribute name="required">required</xsl:attribute></xsl:if>
                </input>
                <label for="f-{$id}-{position()}"><xsl:call-template name="text"><xsl:with-param name="of" select="f:label"/></xsl:call-template></label>
              </div>
            </xsl:for-each>
          </fieldset>
        </xsl:when>
        <xsl:otherwise>
          <label for="f-{$id}"><xsl:value-of select="$label"/><xsl:call-template name="required-mark"/></label>
          <xsl:choose>
            <xsl:when test="@type = 'long-text'">
              <textarea id="f-{$id}" name="{$key}" rows="4">
                <xsl:call-template name="common"><xsl:with-param name="described" select="$described"/><xsl:with-param name="problem" select="$problem"/></xsl:call-template>
                <xsl:value-of select="$value"/>
              </textarea>
            </xsl:when>
            <xsl:when test="@type = 'boolean'">
              <select id="f-{$id}" name="{$key}">
                <xsl:call-template name="common"><xsl:with-param name="described" select="$described"/><xsl:with-param name="problem" select="$problem"/></xsl:call-template>
                <option value=""></option>
                <option value="true"><xsl:if test="$value = 'true'"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if><xsl:value-of select="/render/words/word[@key = 'yes']"/></option>
                <option value="false"><xsl:if test="$value = 'false'"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if><xsl:value-of select="/render/words/word[@key = 'no']"/></option>
              </select>
            </xsl:when>
            <xsl:otherwise>
              <input id="f-{$id}" name="{$key}">
                <xsl:attribute name="value">
                  <xsl:choose>
                    <!-- a date is shown day/month/year whatever the browser's locale -->
                    <xsl:when test="@type = 'date' and string-length($value) = 10 and substring($value, 5, 1) = '-' and substring($value, 8, 1) = '-'">
                      <xsl:value-of select="concat(substring($value, 9, 2), '/', substring($value, 6, 2), '/', substring($value, 1, 4))"/>
                    </xsl:when>
                    <xsl:when test="@type = 'date-time' and string-length($value) &gt;= 16 and substring($value, 5, 1) = '-' and substring($value, 11, 1) = 'T'">
                      <xsl:value-of select="concat(substring($value, 9, 2), '/', substring($value, 6, 2), '/', substring($value, 1, 4), ' ', substring($value, 12, 5))"/>
                    </xsl:when>
                    <xsl:otherwise><xsl:value-of select="$value"/></xsl:otherwise>
                  </xsl:choose>
                </xsl:attribute>
                <xsl:attribute name="type">
                  <xsl:choose>
                    <xsl:when test="@type = 'integer' or @type = 'decimal'">number</xsl:when>
                    <xsl:when test="@type = 'scale'">range</xsl:when>
                    <xsl:when test="@type = 'date'">text</xsl:when>
                    <xsl:when test="@type = 'date-time'">text</xsl:when>
                    <xsl:otherwise>text</xsl:otherwise>
                  </xsl:choose>
                </xsl:attribute>
                <xsl:if test="@type = 'integer' or @type = 'scale'"><xsl:attribute name="step">1</xsl:attribute></xsl:if>
                <xsl:if test="@type = 'decimal'"><xsl:attribute name="step">any</xsl:attribute></xsl:if>
                <xsl:if test="@type = 'scale'">
                  <xsl:attribute name="min"><xsl:choose><xsl:when test="@min"><xsl:value-of select="@min"/></xsl:when><xsl:otherwise>0</xsl:otherwise></xsl:choose></xsl:attribute>
                  <xsl:attribute name="max"><xsl:choose><xsl:when test="@max"><xsl:value-of select="@max"/></xsl:when><xsl:otherwise>10</xsl:otherwise></xsl:choose></xsl:attribute>
                </xsl:if>
                <xsl:if test="@type != 'scale' and @min"><xsl:attribute name="min"><xsl:value-of select="@min"/></xsl:attribute></xsl:if>
                <xsl:if test="@type != 'scale' and @max"><xsl:attribute name="max"><xsl:value-of select="@max"/></xsl:attribute></xsl:if>
                <xsl:if test="@type = 'date'">
                  <xsl:attribute name="inputmode">numeric</xsl:attribute>
                  <xsl:attribute name="pattern">[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}</xsl:attribute>
                  <xsl:attribute name="placeholder"><xsl:value-of select="/render/words/word[@key = 'dateformat']"/></xsl:attribute>
                  <xsl:attribute name="autocomplete">off</xsl:attribute>
                  <xsl:attribute name="data-date">dmy</xsl:attribute>
                </xsl:if>
                <xsl:if test="@type = 'date-time'">
                  <xsl:attribute name="pattern">[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} [0-9]{1,2}:[0-9]{2}</xsl:attribute>
                  <xsl:attribute name="placeholder"><xsl:value-of select="/render/words/word[@key = 'datetimeformat']"/></xsl:attribute>
                  <xsl:attribute name="autocomplete">off</xsl:attribute>
                  <xsl:attribute name="data-date">dmy-hm</xsl:attribute>
                </xsl:if>
                <xsl:if test="@type = 'partial-date'">
                  <xsl:attribute name="pattern">[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?</xsl:attribute>
                  <xsl:attribute name="placeholder">YYYY-MM</xsl:attribute>
                </xsl:if>
                <xsl:if test="@calculate"><xsl:attribute name="readonly">readonly</xsl:attribute></xsl:if>
                <xsl:call-template name="common"><xsl:with-param name="described" select="$described"/><xsl:with-param name="problem" select="$problem"/></xsl:call-template>
              </input>
              <!-- tells the server to read this answer as DD/MM/YYYY -->
              <xsl:if test="@type = 'date' or @type = 'date-time'"><input type="hidden" name="_date" value="{$key}"/></xsl:if>
            </xsl:otherwise>
          </xsl:choose>
        </xsl:otherwise>
      </xsl:choose>
      <xsl:if test="f:hint">
        <p class="fr-hint" id="hint-{$id}"><xsl:call-template name="text"><xsl:with-param name="of" select="f:hint"/></xsl:call-template></p>
      </xsl:if>
      <xsl:if test="$problem">
        <p class="fr-error" id="err-{$id}" role="alert">
          <xsl:for-each select="$problem"><xsl:if test="position() &gt; 1"><xsl:text> </xsl:text></xsl:if><xsl:value-of select="."/></xsl:for-each>
        </p>
      </xsl:if>
    </div>
  </xsl:template>

  <!-- "remove this row": the page comes back without it, nothing saved -->
  <xsl:template name="remove-row">
    <xsl:param name="row"/>
    <p class="fr-row-actions">
      <button type="submit" class="secondary fr-delrow" formnovalidate="formnovalidate" name="_action" value="delrow:{substring($row, 1, string-length($row) - 1)}">
        <xsl:text>− </xsl:text><xsl:value-of select="/render/words/word[@key = 'removerow']"/>
      </button>
    </p>
  </xsl:template>

  <xsl:template name="required-mark">
    <xsl:if test="@required = 'true'">
      <xsl:text> </xsl:text><abbr class="fr-required" title="{/render/words/word[@key = 'required']}">*</abbr>
    </xsl:if>
  </xsl:template>

  <!-- Attributes shared by single inputs: required, descriptions, invalid. -->
  <xsl:template name="common">
    <xsl:param name="described"/>
    <xsl:param name="problem"/>
    <xsl:if test="@required = 'true'">
      <xsl:attribute name="required">required</xsl:attribute>
      <xsl:attribute name="aria-required">true</xsl:attribute>
    </xsl:if>
    <xsl:if test="string($described) != ''"><xsl:attribute name="aria-describedby"><xsl:value-of select="$described"/></xsl:attribute></xsl:if>
    <xsl:if test="$problem"><xsl:attribute name="aria-invalid">true</xsl:attribute></xsl:if>
  </xsl:template>
</xsl:stylesheet>
