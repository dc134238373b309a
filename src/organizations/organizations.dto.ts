import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { ORG_ROLES } from './organization.entity';
import type { OrgRole } from './organization.entity';
import type { MemberOrganization } from './organizations.repository';
import type { AuthoredDocument, Member } from './organizations.service';
import { IsEmailAddress } from '../common/email-address';

export class CreateOrganizationDto {
  @ApiProperty({ minLength: 1, maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;
}

export class OrganizationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ORG_ROLES, description: "the caller's role" }) role: OrgRole;

  static of(organization: MemberOrganization): OrganizationDto {
    return { id: organization.id, name: organization.name, role: organization.role };
  }
}

export class AddMemberDto {
  @ApiProperty({ format: 'email', description: 'an existing account' })
  @IsEmailAddress()
  @MaxLength(320)
  email: string;

  @ApiProperty({ enum: ORG_ROLES })
  @IsIn(ORG_ROLES)
  role: OrgRole;
}

export class ChangeRoleDto {
  @ApiProperty({ enum: ORG_ROLES })
  @IsIn(ORG_ROLES)
  role: OrgRole;
}

export class MemberDto {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ enum: ORG_ROLES }) role: OrgRole;

  static of(member: Member): MemberDto {
    return { userId: member.userId, role: member.role };
  }
}

export class CreateDocumentDto {
  @ApiProperty({ minLength: 1, maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  title: string;

  @ApiProperty({ maxLength: 50_000 })
  @IsString()
  @MaxLength(50_000)
  body: string;
}

export class DocumentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() title: string;
  @ApiProperty() body: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) authorId: string | null;
  @ApiProperty({ description: '"Deleted user" once the author is gone' }) authorName: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(document: AuthoredDocument): DocumentDto {
    return {
      id: document.id,
      title: document.title,
      body: document.body,
      authorId: document.authorId,
      authorName: document.authorName,
      createdAt: document.createdAt.toISOString(),
    };
  }
}
